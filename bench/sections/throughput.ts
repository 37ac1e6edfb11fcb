/**
 * Section 1, ingest throughput: N valid Config NON_COMPLIANT events for distinct buckets pre-loaded into moto's ingest
 * queue, drained by the real bridge (SQS → normalise → route → signal-with-start → delete), against the same server's
 * raw `client.workflow.start` rate at the bridge's concurrency (40: up to 4 batches of 10 messages received and
 * settling at once). No worker polls the task queues of this section, so only the start path is measured, the same for both.
 */
import { performance } from 'node:perf_hooks';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { RoutedFinding } from '../../src/domain/finding';
import { parseMessageBody } from '../../src/ingest/envelope';
import { singleFinding } from '../../src/ingest/normalise';
import { remediationStartOptions } from '../../src/ingest/dispatcher';
import { routeFinding } from '../../src/ingest/router';
import { DEFAULT_BATCHES_IN_FLIGHT } from '../../src/ingest/sqs-bridge';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';
import { policyVersion } from '../../src/policy/worker-policy';
import { findingSignal, REMEDIATION_WORKFLOW_TYPE } from '../../src/workflows/definitions';
import { bucketNames, configEvent, pool, preloadQueue, REGION } from '../lib/events';
import { cpuPerEvent, cpuSample, cpuTable, cpuTotal } from '../lib/cpu';
import type { CpuSample } from '../lib/cpu';
import { ratio } from '../lib/percentiles';
import { progress, sleep } from '../lib/progress';
import { scaled, startStack } from '../lib/stack';
import type { BenchContext, BenchStack } from '../lib/stack';
import { countWorkflows, waitUntil } from '../lib/temporal';

/** Messages per receive: `INGEST_CONCURRENCY`'s default and maximum. */
const BATCH = 10;
/** The bridge's concurrency: messages received and settling at once (its default `maxInFlight`). */
const CONCURRENCY = BATCH * DEFAULT_BATCHES_IN_FLIGHT;

/** One measured rate. */
export interface Rate {
  readonly count: number;
  readonly seconds: number;
  readonly perSecond: number;
}

/** What the section reports. */
export interface ThroughputData {
  readonly events: number;
  readonly warmUp: number;
  readonly concurrency: number;
  readonly rawStart: Rate;
  /**
   * Raw `client.workflow.signalWithStart` with the finding signal, at the same concurrency: what the bridge calls
   * (docs/architecture.md, The path of one event), measured the same way as the raw start, to show what the server's
   * signal costs on top of a start.
   */
  readonly rawSignalWithStart?: Rate;
  readonly sqsOnly: Rate;
  readonly bridge: Rate & { readonly deadLettered: number; readonly acknowledged: number };
  readonly ratio: number | null;
  readonly sqsOnlyRatio: number | null;
  readonly target: number;
  readonly acceptedByServer: { readonly rawStart: number; readonly bridge: number };
  /** CPU milliseconds per event of each measured path, by process. */
  readonly cpu?: Readonly<Record<'rawStart' | 'rawSignalWithStart' | 'sqsOnly' | 'bridge', CpuSample>>;
}

const rate = (count: number, ms: number): Rate => ({
  count,
  seconds: Math.round(ms) / 1000,
  perSecond: Math.round((count / ms) * 1000 * 10) / 10,
});

/** The start options the dispatcher builds, as a plain start (no signal). */
/** The finding of `bucket`'s event as the bridge would route it. */
function routedFor(bucket: string): RoutedFinding {
  const finding = singleFinding(parseMessageBody(JSON.stringify(configEvent(bucket))));
  const decision = routeFinding(finding, DEFAULT_POLICY);
  if (decision.action !== 'start') throw new Error(`the policy does not start a remediation for ${bucket}`);
  return { finding, playbook: decision.playbook };
}

async function rawStarts(
  stack: BenchStack,
  buckets: string[],
  taskQueue: string,
  withSignal = false,
): Promise<number> {
  // The input the bridge sends: the resource and the policy version, no settings.
  const version = policyVersion(DEFAULT_POLICY);
  const calls = buckets.map((b) => {
    const routed = routedFor(b);
    return { options: remediationStartOptions(routed, taskQueue, version), routed };
  });
  const t0 = performance.now();
  await pool(calls, CONCURRENCY, async ({ options, routed }) => {
    if (withSignal) {
      await stack.client.workflow.signalWithStart(REMEDIATION_WORKFLOW_TYPE, {
        ...options,
        signal: findingSignal,
        signalArgs: [routed],
      });
    } else {
      await stack.client.workflow.start(REMEDIATION_WORKFLOW_TYPE, options);
    }
  });
  return performance.now() - t0;
}

/** Receive ≤ 10, delete each in parallel, repeat: the bridge's SQS work without Temporal. */
async function sqsOnlyDrain(stack: BenchStack, count: number): Promise<number> {
  const sqs = stack.aws.sqs(REGION);
  const queueUrl = stack.resources.ingestQueueUrl;
  let done = 0;
  const t0 = performance.now();
  while (done < count) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: BATCH,
        WaitTimeSeconds: 20,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    const messages = out.Messages ?? [];
    for (const m of messages) JSON.parse(m.Body ?? '{}');
    if (messages.length === 0) continue;
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
    done += messages.length;
  }
  return performance.now() - t0;
}

/** Runs the section. */
export async function runThroughput(ctx: BenchContext): Promise<ThroughputData> {
  const n = scaled(ctx, 2000, 20);
  const warm = Math.max(10, Math.round(n / 20));
  const stack = await startStack(ctx, 'throughput');
  try {
    const sqs = stack.aws.sqs(REGION);
    const queueUrl = stack.resources.ingestQueueUrl;

    // 1. Raw starts (first, on the emptiest server: the bridge measured last runs on the fuller one).
    progress(
      `throughput: raw client.workflow.start ×${warm} warm-up, then ×${n} at concurrency ${CONCURRENCY}`,
    );
    await rawStarts(stack, bucketNames('bench-raw-warm', warm), 'bench-raw-start');
    const pids = { temporal: stack.temporal.pid, moto: stack.moto.pid };
    let before = cpuSample(pids);
    const rawMs = await rawStarts(stack, bucketNames('bench-raw', n), 'bench-raw-start');
    const rawStart = rate(n, rawMs);
    const cpuRawStart = cpuPerEvent(before, cpuSample(pids), n);
    progress(`throughput: raw start ${rawStart.perSecond}/s`);
    await rawStarts(stack, bucketNames('bench-sws-warm', warm), 'bench-raw-sws', true);
    before = cpuSample(pids);
    const rawSignalWithStart = rate(
      n,
      await rawStarts(stack, bucketNames('bench-sws', n), 'bench-raw-sws', true),
    );
    const cpuRawSignalWithStart = cpuPerEvent(before, cpuSample(pids), n);
    progress(`throughput: raw signal-with-start ${rawSignalWithStart.perSecond}/s`);

    // 2. SQS alone (moto): the same receive/delete pattern with no Temporal call, to show what the emulator allows.
    progress(`throughput: SQS-only drain of ${n} messages`);
    await preloadQueue(sqs, queueUrl, bucketNames('bench-sqs', n).map(configEvent));
    before = cpuSample(pids);
    const sqsOnly = rate(n, await sqsOnlyDrain(stack, n));
    const cpuSqsOnly = cpuPerEvent(before, cpuSample(pids), n);
    progress(`throughput: SQS-only ${sqsOnly.perSecond}/s`);

    // 3. The bridge: warm up on a few, stop; pre-load N; start a fresh bridge and time the drain.
    const taskQueue = 'bench-bridge';
    progress(`throughput: bridge warm-up (${warm}), then pre-loading ${n} events`);
    await preloadQueue(sqs, queueUrl, bucketNames('bench-tp-warm', warm).map(configEvent));
    const warmBridge = stack.startBridge({
      taskQueue,
      policy: DEFAULT_POLICY,
      name: 'ingest-warm-up',
      waitTimeSeconds: 1,
    });
    await waitUntil('bridge warm-up', async () => warmBridge.settled() >= warm, 120_000, 20);
    await warmBridge.stop();
    await preloadQueue(sqs, queueUrl, bucketNames('bench-tp', n).map(configEvent));
    progress(`throughput: bridge draining ${n} events`);
    before = cpuSample(pids);
    const t0 = performance.now();
    const bridge = stack.startBridge({ taskQueue, policy: DEFAULT_POLICY });
    const deadline = Date.now() + 30 * 60_000;
    while (bridge.settled() < n) {
      if (Date.now() > deadline) throw new Error(`bridge settled only ${bridge.settled()} of ${n}`);
      await sleep(5);
    }
    const bridgeMs = performance.now() - t0;
    const cpuBridge = cpuPerEvent(before, cpuSample(pids), n);
    const stats = { ...bridge.stats };
    await bridge.stop();
    const bridgeRate = rate(stats.delivered, bridgeMs);
    progress(`throughput: bridge ${bridgeRate.perSecond}/s (${stats.delivered} delivered)`);

    // Every start was accepted by the server (visibility is eventually consistent: poll).
    const accepted = { rawStart: 0, bridge: 0 };
    await waitUntil(
      'visibility to show every started execution',
      async () => {
        accepted.rawStart = await countWorkflows(stack.client, `TaskQueue = 'bench-raw-start'`);
        accepted.bridge = await countWorkflows(stack.client, `TaskQueue = '${taskQueue}'`);
        return accepted.rawStart >= n + warm && accepted.bridge >= n + warm;
      },
      120_000,
    ).catch((err: unknown) => progress(`throughput: ${String(err)}`));
    return {
      events: n,
      warmUp: warm,
      concurrency: CONCURRENCY,
      rawStart,
      rawSignalWithStart,
      sqsOnly,
      bridge: { ...bridgeRate, deadLettered: stats.deadLettered, acknowledged: stats.acknowledged },
      ratio: ratio(bridgeRate.perSecond, rawStart.perSecond),
      sqsOnlyRatio: ratio(sqsOnly.perSecond, rawStart.perSecond),
      target: 0.9,
      acceptedByServer: { rawStart: accepted.rawStart - warm, bridge: accepted.bridge - warm },
      cpu: {
        rawStart: cpuRawStart,
        rawSignalWithStart: cpuRawSignalWithStart,
        sqsOnly: cpuSqsOnly,
        bridge: cpuBridge,
      },
    };
  } finally {
    await stack.stop();
  }
}

/** Markdown for the section. */
export function renderThroughput(d: ThroughputData): string {
  const verdict = d.ratio !== null && d.ratio >= d.target ? 'meets' : 'misses';
  return [
    `| path | events | seconds | events/s |`,
    `| --- | ---: | ---: | ---: |`,
    `| raw \`client.workflow.start\`, concurrency ${d.concurrency} | ${d.rawStart.count} | ${d.rawStart.seconds} | ${d.rawStart.perSecond} |`,
    ...(d.rawSignalWithStart
      ? [
          `| raw \`client.workflow.signalWithStart\` (the bridge's call), concurrency ${d.concurrency} | ${d.rawSignalWithStart.count} | ${d.rawSignalWithStart.seconds} | ${d.rawSignalWithStart.perSecond} |`,
        ]
      : []),
    `| SQS alone on moto (receive 10, batch delete; no Temporal) | ${d.sqsOnly.count} | ${d.sqsOnly.seconds} | ${d.sqsOnly.perSecond} |`,
    `| **ingest bridge**: SQS → signal-with-start → delete | ${d.bridge.count} | ${d.bridge.seconds} | **${d.bridge.perSecond}** |`,
    '',
    `Bridge / raw start: **${d.ratio ?? 'n/a'}** (target ≥ ${d.target}: ${verdict}). SQS alone / raw start: ${d.sqsOnlyRatio ?? 'n/a'}. ` +
      (d.rawSignalWithStart
        ? `Raw signal-with-start / raw start: ${ratio(d.rawSignalWithStart.perSecond, d.rawStart.perSecond) ?? 'n/a'}; ` +
          `bridge / raw signal-with-start: ${ratio(d.bridge.perSecond, d.rawSignalWithStart.perSecond) ?? 'n/a'}. `
        : '') +
      `Accepted by the server (visibility): ${d.acceptedByServer.bridge} bridge, ${d.acceptedByServer.rawStart} raw; ` +
      `dead-lettered ${d.bridge.deadLettered}, acknowledged without a start ${d.bridge.acknowledged}. ` +
      `Warm-up of ${d.warmUp} before each measured path.`,
    ...(d.cpu ? ['', ...renderCpu(d.cpu)] : []),
  ].join('\n');
}

function renderCpu(cpu: NonNullable<ThroughputData['cpu']>): string[] {
  return [
    'CPU milliseconds per event, by process (two cores: 2,000 ms of CPU a second at most):',
    '',
    ...cpuTable({ node: 'bench process (bridge, clients)' }, [
      ['raw start', cpu.rawStart],
      ['raw signal-with-start', cpu.rawSignalWithStart],
      ['SQS alone', cpu.sqsOnly],
      ['**ingest bridge**', cpu.bridge],
    ]),
    '',
    `Every path is CPU-bound here, so the ratio sits near raw start CPU ÷ bridge CPU = ` +
      `${cpuTotal(cpu.rawStart)} ÷ ${cpuTotal(cpu.bridge)} ≈ ${ratio(cpuTotal(cpu.rawStart), cpuTotal(cpu.bridge)) ?? 'n/a'}. ` +
      `moto's SQS takes ${cpu.bridge.moto} ms of the bridge's (in production SQS runs on AWS's machines): without it ` +
      `the bound is ≈ ${ratio(cpuTotal(cpu.rawStart), cpuTotal(cpu.bridge) - cpu.bridge.moto) ?? 'n/a'}.`,
  ];
}
