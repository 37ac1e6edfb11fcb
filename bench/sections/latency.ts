/**
 * Section 2, end-to-end latency: remediations paced at a fixed rate, each from a PutEvents call on moto's EventBridge
 * (the rule delivers to the ingest queue) through the bridge and the worker process (real activities against moto,
 * through the counting proxy) to the execution's `RemediationStatus = REMEDIATED` upsert, whose time the server
 * records in the history. Histories are read after the run, so measuring adds no load while it runs (only a
 * visibility count every second). The floor is the same path with a no-op workflow of the same shape on its own
 * worker process, plus the same AWS calls made directly at the same rate and timed (each part in a phase of its own,
 * so neither inflates the other's time on a shared moto); floor_i = no-op_i + calls_i, paired in send order.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { GetBucketTaggingCommand, GetPublicAccessBlockCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { PutObjectCommand, PutPublicAccessBlockCommand } from '@aws-sdk/client-s3';
import { StartConfigRulesEvaluationCommand } from '@aws-sdk/client-config-service';
import { PublishCommand } from '@aws-sdk/client-sns';
import { AwsClients } from '../../src/aws/clients';
import type { RemediationPolicy } from '../../src/domain/policy';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';
import { admissionUpdates } from '../lib/admission-updates';
import { countBillableActions } from '../lib/billable-actions';
import type { HistoryEventJson } from '../lib/billable-actions';
import {
  ACCOUNT,
  bucketNames,
  bucketWorkflowId,
  configEvent,
  createBuckets,
  pool,
  putEvents,
  putEventsEntry,
  REGION,
} from '../lib/events';
import { cpuPerEvent, cpuSample, cpuTable, cpuTotal } from '../lib/cpu';
import type { CpuSample } from '../lib/cpu';
import { ratio, summarize } from '../lib/percentiles';
import type { Summary } from '../lib/percentiles';
import { progress, sleep } from '../lib/progress';
import { scaled, startStack } from '../lib/stack';
import type { BenchContext, BenchStack } from '../lib/stack';
import { REMEDIATION_WORKFLOW_TYPE } from '../../src/workflows/definitions';
import {
  arrangeTargets,
  measurableSetups,
  perPlaybookLatency,
  perPlaybookSettings,
  sendTargets,
  verificationReads,
} from './latency-playbooks';
import type { PlaybookLatency } from './latency-playbooks';
import {
  countWorkflows,
  eventTimeMs,
  historyJson,
  statusReachedAt,
  stepDurations,
  waitUntil,
} from '../lib/temporal';

/** Cool-down of the section's policy: short, so every history is complete when read after the run. */
const COOLDOWN_MS = 5000;

/**
 * The latency policy: the product's default (verification may read the fix back for 60 s, and ends at the first read
 * that passes) with a short cool-down; `playbooks` adds per-playbook settings.
 */
export function latencyPolicy(playbooks: RemediationPolicy['playbooks'] = {}): RemediationPolicy {
  return {
    ...DEFAULT_POLICY,
    cooldownMs: COOLDOWN_MS,
    playbooks: { ...DEFAULT_POLICY.playbooks, ...playbooks },
  };
}

/** The target of time to verified fix on the local stack (S3, at 5 events/s), milliseconds. */
export const MTTR_TARGET = { p50: 3000, p99: 6000 } as const;

/** The rate the target is set at, and the section's default. */
export const DEFAULT_LATENCY_RATE = 5;

/** Billable actions of live histories (S3 success path), for the cost section. */
export interface LiveCost {
  readonly executions: number;
  readonly historyEvents: Summary;
  readonly actions: Summary;
  /** Breakdown of the median execution by kind, the admission update on the control workflow included. */
  readonly byKind: Readonly<Record<string, number>>;
  readonly historyEventsOfMedian: number;
}

/** What the section reports. */
export interface LatencyData {
  readonly remediations: number;
  readonly ratePerSecond: number;
  readonly propagationWaitMs: number;
  readonly cooldownMs: number;
  readonly remediation: Summary;
  readonly floor: { readonly workflow: Summary; readonly awsCalls: Summary; readonly total: Summary };
  readonly ratioP99: number | null;
  readonly target: number;
  readonly putEventsCall: Summary;
  /** p50 (ms) of each step inside the executions up to REMEDIATED: remediation and no-op, by activity type. */
  readonly steps?: {
    readonly remediation: Readonly<Record<string, number>>;
    readonly noop: Readonly<Record<string, number>>;
  };
  /** Send → start event, and start event → REMEDIATED, of the remediations and of the no-op floor. */
  readonly breakdown: {
    readonly remediation: { readonly ingest: Summary; readonly execution: Summary };
    readonly noop: { readonly ingest: Summary; readonly execution: Summary };
  };
  readonly notRemediated: number;
  /** Verification reads per S3 remediation. */
  readonly reads?: Summary;
  /** PutEvents → REMEDIATED of the other playbooks, measured after the S3 phase on the same worker. */
  readonly perPlaybook?: readonly PlaybookLatency[];
  /**
   * The figures of the run before verification read back until the fix held (a durable wait, then one read), kept
   * from the previous results so the page shows them side by side: measured with that wait at 0.
   */
  readonly before?: LatencyBefore;
  /** Time to verified fix target for S3 at `DEFAULT_LATENCY_RATE`. */
  readonly mttrTarget?: { readonly p50: number; readonly p99: number };
  /** AWS calls the worker made per remediation (at the proxy), by `service:Operation`. */
  readonly awsCallsPerRemediation: Readonly<Record<string, number>>;
  readonly liveCost: LiveCost;
  /** CPU milliseconds per remediation, by process, of each measured phase. */
  readonly cpu?: {
    readonly remediation: CpuSample;
    readonly noop: CpuSample;
    readonly directCalls: CpuSample;
  };
}

/** The previous figures of the section, from before verification read back until the fix held. */
export interface LatencyBefore {
  readonly date: string;
  readonly ratePerSecond: number;
  /** The wait that run had before its one verification read (0: the bench set it so). */
  readonly propagationWaitMs: number;
  /** The default policy's wait then: every fix was called verified at least this much later than measured. */
  readonly defaultWaitMs: number;
  readonly remediation: Summary;
  readonly floor: Summary;
}

/**
 * The "before" figures to keep from the previous latency record: its own `before` when it has one, else its figures
 * when it was measured with the durable wait (records without `reads`).
 */
export function latencyBefore(
  previous: { readonly date: string; readonly data?: unknown } | undefined,
): LatencyBefore | undefined {
  const d = previous?.data as LatencyData | undefined;
  if (!d || !previous) return undefined;
  if (d.before) return d.before;
  if (d.reads !== undefined || d.perPlaybook !== undefined) return undefined;
  return {
    date: previous.date,
    ratePerSecond: d.ratePerSecond,
    propagationWaitMs: d.propagationWaitMs,
    defaultWaitMs: DEFAULT_POLICY.defaults.propagationWaitMs,
    remediation: d.remediation,
    floor: d.floor.total,
  };
}

/** Fires `fire(i)` for i < count at `perSecond`, open loop (a slow call never delays the next one). */
export async function paced(
  count: number,
  perSecond: number,
  fire: (i: number) => Promise<void>,
): Promise<void> {
  const start = performance.now();
  const interval = 1000 / perSecond;
  const inFlight: Array<Promise<void>> = [];
  for (let i = 0; i < count; i += 1) {
    const wait = start + i * interval - performance.now();
    if (wait > 0) await sleep(wait);
    inFlight.push(fire(i));
  }
  await Promise.all(inFlight);
}

const completedQuery = (taskQueue: string): string =>
  `TaskQueue = '${taskQueue}' AND WorkflowType = '${REMEDIATION_WORKFLOW_TYPE}' AND ExecutionStatus = 'Completed'`;
const failedQuery = (taskQueue: string): string =>
  `TaskQueue = '${taskQueue}' AND WorkflowType = '${REMEDIATION_WORKFLOW_TYPE}' AND ExecutionStatus != 'Running' AND ExecutionStatus != 'Completed'`;

/** Waits (counting once a second) until `total` executions on the task queue completed. */
async function waitCompleted(stack: BenchStack, taskQueue: string, total: number): Promise<void> {
  let last = 0;
  let lastReport = Date.now();
  await waitUntil(
    `${total} completed executions on ${taskQueue}`,
    async () => {
      const failed = await countWorkflows(stack.client, failedQuery(taskQueue));
      if (failed > 0) throw new Error(`${failed} executions on ${taskQueue} failed or were terminated`);
      last = await countWorkflows(stack.client, completedQuery(taskQueue));
      if (Date.now() - lastReport > 10_000) {
        progress(`${stack.section}: ${last}/${total} completed on ${taskQueue}`);
        lastReport = Date.now();
      }
      return last >= total;
    },
    Math.max(180_000, total * 2000),
  );
}

/** One measured phase: sends, waits, reads the histories. */
interface Phase {
  /** Per remediated execution, in send order: send → REMEDIATED, and the PutEvents call alone (ms). */
  readonly samples: ReadonlyArray<{
    readonly latency: number;
    readonly put: number;
    /** Send → the execution's start event (EventBridge, SQS, the bridge, signal-with-start). */
    readonly ingest: number;
  }>;
  readonly histories: HistoryEventJson[][];
  readonly notRemediated: number;
  /** CPU milliseconds per remediation of the measured sends, by process. */
  readonly cpu: CpuSample;
}

/** Sends `warm` then `buckets` at `perSecond` through EventBridge and measures each to REMEDIATED. */
async function measure(
  stack: BenchStack,
  taskQueue: string,
  warm: string[],
  buckets: string[],
  perSecond: number,
  workerPid?: number,
): Promise<Phase> {
  const send = async (bucket: string): Promise<[number, number]> => {
    const entry = putEventsEntry(configEvent(bucket));
    const t0 = Date.now();
    const p0 = performance.now();
    await putEvents(stack.events, [entry]);
    return [t0, performance.now() - p0];
  };
  progress(`${stack.section}: warm-up of ${warm.length} on ${taskQueue}`);
  await paced(warm.length, perSecond, async (i) => {
    await send(warm[i] as string);
  });
  await waitCompleted(stack, taskQueue, warm.length);
  stack.proxy?.reset();

  progress(`${stack.section}: ${buckets.length} at ${perSecond}/s on ${taskQueue}`);
  const sentAt: number[] = [];
  const putMs: number[] = [];
  const pids = { temporal: stack.temporal.pid, moto: stack.moto.pid, worker: workerPid };
  const before = cpuSample(pids);
  await paced(buckets.length, perSecond, async (i) => {
    [sentAt[i], putMs[i]] = await send(buckets[i] as string);
  });
  await waitCompleted(stack, taskQueue, warm.length + buckets.length);
  const cpu = cpuPerEvent(before, cpuSample(pids), buckets.length);

  progress(`${stack.section}: reading ${buckets.length} histories`);
  const histories: HistoryEventJson[][] = [];
  const reached: Array<number | undefined> = [];
  const startedAt: number[] = [];
  await pool(buckets, 8, async (bucket, i) => {
    const events = await historyJson(stack.client, bucketWorkflowId(bucket));
    histories[i] = events;
    reached[i] = statusReachedAt(events, 'REMEDIATED');
    startedAt[i] = events[0] ? eventTimeMs(events[0]) : Number.NaN;
  });
  // One history per phase next to the logs, to see where the time goes.
  writeFileSync(
    join(stack.logDir, `${stack.section}-${taskQueue}-sample-history.log`),
    JSON.stringify({ sentAt: new Date(sentAt[0] ?? 0).toISOString(), events: histories[0] ?? [] }, null, 1),
  );
  const samples = buckets.flatMap((_, i) => {
    const at = reached[i];
    const sent = sentAt[i] as number;
    return at === undefined
      ? []
      : [{ latency: at - sent, put: putMs[i] as number, ingest: (startedAt[i] as number) - sent }];
  });
  return { samples, histories, notRemediated: buckets.length - samples.length, cpu };
}

/**
 * The AWS calls of the S3 success path, made directly, in the activities' order (notify and audit in parallel);
 * returns the milliseconds they took. Errors AWS answers for a bucket without a block or tags are part of the path.
 */
export async function directS3Path(
  aws: AwsClients,
  bucket: string,
  topicArn: string,
  auditBucket: string,
): Promise<number> {
  const s3 = aws.s3(ACCOUNT, REGION);
  const expected = async (p: Promise<unknown>): Promise<void> => {
    await p.catch((err: { name?: string }) => {
      if (err.name !== 'NoSuchPublicAccessBlockConfiguration' && err.name !== 'NoSuchTagSet') throw err;
    });
  };
  const block = {
    BlockPublicAcls: true,
    IgnorePublicAcls: true,
    BlockPublicPolicy: true,
    RestrictPublicBuckets: true,
  };
  const t0 = performance.now();
  await s3.send(new HeadBucketCommand({ Bucket: bucket })); // analyse
  await expected(s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket })));
  await expected(s3.send(new GetBucketTaggingCommand({ Bucket: bucket }))); // admission: exemption tag
  // The prior state is taken from the analysis's read (stateFromObserved), so no read of its own.
  await expected(s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))); // apply: read, then put
  await s3.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: block }));
  await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket })); // verify, and the state after the fix
  await aws
    .config(ACCOUNT, REGION)
    .send(new StartConfigRulesEvaluationCommand({ ConfigRuleNames: ['s3-bucket-public-read-prohibited'] }));
  const record = JSON.stringify({ kind: 'outcome', bucket, detail: 'x'.repeat(2000) });
  await Promise.all([
    aws.sns(REGION).send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: `[REMEDIATED] s3-block-public-access on ${bucket}`.slice(0, 100),
        Message: record.slice(0, 1200),
        MessageAttributes: { status: { DataType: 'String', StringValue: 'REMEDIATED' } },
      }),
    ),
    aws.s3('self', REGION).send(
      new PutObjectCommand({
        Bucket: auditBucket,
        Key: `audit/bench/${bucket}.json`,
        Body: record,
        ContentType: 'application/json',
      }),
    ),
  ]);
  return performance.now() - t0;
}

/** Ingest (send → start event) and execution (start event → REMEDIATED) of a phase. */
function split(phase: Phase): { ingest: Summary; execution: Summary } {
  return {
    ingest: summarize(phase.samples.map((x) => x.ingest)),
    execution: summarize(phase.samples.map((x) => x.latency - x.ingest)),
  };
}

/** p50 of each step (activity type, workflow task) of a phase, up to REMEDIATED. */
function stepMedians(phase: Phase): Record<string, number> {
  const steps = stepDurations(phase.histories, (events) => statusReachedAt(events, 'REMEDIATED'));
  return Object.fromEntries(
    Object.entries(steps).map(([name, list]) => [name, Math.round(summarize(list).p50)]),
  );
}

/** Billable actions of the S3 success path from live histories (+1 admission update per remediation). */
export function liveCostOf(histories: readonly HistoryEventJson[][]): LiveCost {
  const counted = histories.map((events) => {
    const actions = countBillableActions(events);
    const admissions = admissionUpdates(events);
    return {
      total: actions.total + admissions,
      byKind: { ...actions.byKind, ...(admissions ? { 'admission update': admissions } : {}) },
      historyEvents: actions.historyEvents,
    };
  });
  const totals = summarize(counted.map((c) => c.total));
  const median = counted.find((c) => c.total === totals.p50) ?? counted[0];
  return {
    executions: counted.length,
    historyEvents: summarize(counted.map((c) => c.historyEvents)),
    actions: totals,
    byKind: median?.byKind ?? {},
    historyEventsOfMedian: median?.historyEvents ?? 0,
  };
}

/** Live S3 remediations only (used by the cost section when the latency section did not run). */
export async function liveS3Sample(ctx: BenchContext, count: number): Promise<LiveCost> {
  const stack = await startStack(ctx, 'cost-live', { proxy: true });
  try {
    const policy = latencyPolicy();
    const worker = await stack.startWorker({
      taskQueue: 'remediation',
      policyPath: stack.writePolicy('s3', policy),
    });
    const bridge = stack.startBridge({ taskQueue: 'remediation', policy });
    const warm = bucketNames('bench-cost-warm', 3);
    const buckets = bucketNames('bench-cost', count);
    await createBuckets(stack.aws.s3(ACCOUNT, REGION), [...warm, ...buckets]);
    const phase = await measure(stack, 'remediation', warm, buckets, 20);
    await bridge.stop();
    await worker.stop();
    return liveCostOf(phase.histories);
  } finally {
    await stack.stop();
  }
}

/** Runs the section. */
export async function runLatency(
  ctx: BenchContext,
  perSecond = DEFAULT_LATENCY_RATE,
  previous?: LatencyBefore,
): Promise<LatencyData> {
  const n = scaled(ctx, 500, 20);
  const warmCount = Math.max(5, Math.round(n / 25));
  const perPlaybook = scaled(ctx, 20, 2);
  const stack = await startStack(ctx, 'latency', { proxy: true });
  const proxy = stack.proxy;
  if (!proxy) throw new Error('the latency section needs the proxy');
  try {
    const setups = measurableSetups(['s3-block-public-access']);
    const policy = latencyPolicy(perPlaybookSettings(setups));
    const policyPath = stack.writePolicy('latency', policy);
    // Every playbook's resources are made first, so making them adds nothing to any measured phase.
    const targets = await arrangeTargets(stack, setups, perPlaybook);
    const real = bucketNames('bench-lat', n);
    const realWarm = bucketNames('bench-lat-warm', warmCount);
    const floor = bucketNames('bench-flr', n);
    const floorWarm = bucketNames('bench-flr-warm', warmCount);
    progress(`latency: creating ${2 * (n + warmCount)} buckets`);
    await createBuckets(stack.aws.s3(ACCOUNT, REGION), [...real, ...realWarm, ...floor, ...floorWarm]);

    // Remediations: the worker process under test, nothing else running.
    const worker = await stack.startWorker({ taskQueue: 'remediation', policyPath });
    const bridge = stack.startBridge({ taskQueue: 'remediation', policy });
    const remediation = await measure(stack, 'remediation', realWarm, real, perSecond, worker.child.pid);
    const calls = new Map(proxy.operations);
    // Every other playbook, interleaved, at the same rate, on the same worker.
    progress(`latency: ${targets.length} events for ${setups.length} more playbooks at ${perSecond}/s`);
    const targetsSentAt = await sendTargets(stack, targets, perSecond, paced);
    await waitCompleted(stack, 'remediation', realWarm.length + real.length + targets.length);
    const playbooks = await perPlaybookLatency(stack, targets, targetsSentAt);
    await worker.stop();
    await bridge.stop();

    // Floor, part 1: the no-op twin on its own worker process, same path and rate, nothing else running.
    const floorWorker = await stack.startFloorWorker({ taskQueue: 'bench-floor', policyPath });
    const floorBridge = stack.startBridge({ taskQueue: 'bench-floor', policy, name: 'ingest-floor' });
    const noop = await measure(stack, 'bench-floor', floorWarm, floor, perSecond, floorWorker.child.pid);
    await floorBridge.stop();
    await floorWorker.stop();

    // Floor, part 2: the same AWS calls made directly at the same rate (through the same proxy), nothing else running.
    progress(`latency: the S3 path's AWS calls made directly, ${n} at ${perSecond}/s`);
    const direct = new AwsClients({
      endpoint: proxy.endpoint,
      credentials: async () => ({ accessKeyId: 'bench', secretAccessKey: 'bench' }),
    });
    const { notifyTopicArn, auditBucket } = stack.resources;
    const callsMs: number[] = [];
    await paced(floorWarm.length, perSecond, async (i) => {
      await directS3Path(direct, floorWarm[i] as string, notifyTopicArn, auditBucket);
    });
    const pids = { temporal: stack.temporal.pid, moto: stack.moto.pid };
    const before = cpuSample(pids);
    await paced(n, perSecond, async (i) => {
      callsMs[i] = await directS3Path(direct, floor[i] as string, notifyTopicArn, auditBucket);
    });
    const directCpu = cpuPerEvent(before, cpuSample(pids), n);
    direct.destroy();
    // floor_i = no-op_i + calls_i, paired in send order.
    const floorSamples = noop.samples.map((x, i) => ({ workflow: x.latency, calls: callsMs[i] ?? 0 }));

    const remediationSummary = summarize(remediation.samples.map((x) => x.latency));
    const floorTotal = summarize(floorSamples.map((x) => x.workflow + x.calls));
    const perRemediation = Object.fromEntries(
      [...calls.entries()].sort().map(([op, count]) => [op, Math.round((count / n) * 100) / 100]),
    );
    const reads = remediation.histories.flatMap((events) => {
      const r = verificationReads(events);
      return r === undefined ? [] : [r];
    });
    return {
      remediations: n,
      ratePerSecond: perSecond,
      propagationWaitMs: policy.defaults.propagationWaitMs,
      cooldownMs: COOLDOWN_MS,
      remediation: remediationSummary,
      floor: {
        workflow: summarize(floorSamples.map((x) => x.workflow)),
        awsCalls: summarize(callsMs),
        total: floorTotal,
      },
      ratioP99: ratio(remediationSummary.p99, floorTotal.p99),
      target: 1.3,
      putEventsCall: summarize(remediation.samples.map((x) => x.put)),
      breakdown: { remediation: split(remediation), noop: split(noop) },
      steps: { remediation: stepMedians(remediation), noop: stepMedians(noop) },
      notRemediated: remediation.notRemediated,
      ...(reads.length > 0 ? { reads: summarize(reads) } : {}),
      perPlaybook: playbooks,
      mttrTarget: MTTR_TARGET,
      ...(previous ? { before: previous } : {}),
      awsCallsPerRemediation: perRemediation,
      liveCost: liveCostOf(remediation.histories),
      cpu: { remediation: remediation.cpu, noop: noop.cpu, directCalls: directCpu },
    };
  } finally {
    await stack.stop();
  }
}

const ms = (x: number): string => `${Math.round(x)}`;
const row = (name: string, s: Summary): string =>
  `| ${name} | ${s.count} | ${ms(s.p50)} | ${ms(s.p95)} | ${ms(s.p99)} | ${ms(s.max)} |`;

/** Markdown for the section. */
export function renderLatency(d: LatencyData): string {
  const verdict = d.ratioP99 !== null && d.ratioP99 <= d.target ? 'meets' : 'misses';
  const steps = d.steps;
  const stepTable = steps
    ? [
        '',
        'Inside the executions, p50 per step up to `REMEDIATED` (ms; an activity is scheduled → completed, so it ' +
          'includes task-queue dispatch; the no-op activities do nothing):',
        '',
        '| step | remediation | no-op |',
        '| --- | ---: | ---: |',
        ...Object.keys({ ...steps.noop, ...steps.remediation }).map(
          (k) => `| ${k} | ${steps.remediation[k] ?? '–'} | ${steps.noop[k] ?? '–'} |`,
        ),
      ]
    : [];
  const window = d.reads
    ? `verification window ${d.propagationWaitMs} ms (the default policy's; it ends at the first read that passes)`
    : `propagation wait ${d.propagationWaitMs} ms`;
  return [
    `${d.remediations} remediations at ${d.ratePerSecond}/s, ${window} (milliseconds, PutEvents call → \`REMEDIATED\`):`,
    '',
    `| path | n | p50 | p95 | p99 | max |`,
    `| --- | ---: | ---: | ---: | ---: | ---: |`,
    row('**remediation** (S3 block public access, real activities)', d.remediation),
    row('floor: no-op workflow of the same shape, same path', d.floor.workflow),
    row('floor: the same AWS calls made directly', d.floor.awsCalls),
    row('**floor** (no-op + calls, per event)', d.floor.total),
    row('the PutEvents call alone (remediation run)', d.putEventsCall),
    ...(d.breakdown
      ? [
          row('remediation: PutEvents → execution started (ingest)', d.breakdown.remediation.ingest),
          row('remediation: execution started → REMEDIATED', d.breakdown.remediation.execution),
          row('no-op: PutEvents → execution started (ingest)', d.breakdown.noop.ingest),
          row('no-op: execution started → REMEDIATED', d.breakdown.noop.execution),
        ]
      : []),
    '',
    `p99 / floor p99: **${d.ratioP99 ?? 'n/a'}** (target ≤ ${d.target}: ${verdict}). Not remediated: ${d.notRemediated}. ` +
      `AWS calls per remediation at the proxy: ${Object.entries(d.awsCallsPerRemediation)
        .map(([op, c]) => `${op} ${c}`)
        .join(', ')}.`,
    ...(d.reads ? ['', ...timeToVerifiedFix(d)] : []),
    ...stepTable,
    ...(d.cpu ? ['', ...latencyCpu(d.cpu, d.ratePerSecond)] : []),
  ].join('\n');
}

/** Time to verified fix: the target, per playbook, and the figures from before verification read back. */
function timeToVerifiedFix(d: LatencyData): string[] {
  const target = d.mttrTarget;
  const meets = target && d.remediation.p50 <= target.p50 && d.remediation.p99 <= target.p99;
  const reads = d.reads;
  const lines = [
    `**Time to verified fix** (MTTR on the local stack): S3 p50 ${ms(d.remediation.p50)} ms, p99 ${ms(d.remediation.p99)} ms` +
      (target
        ? ` (target p50 ≤ ${target.p50}, p99 ≤ ${target.p99} at ${DEFAULT_LATENCY_RATE}/s: ${meets ? 'meets' : 'misses'}` +
          `${d.ratePerSecond === DEFAULT_LATENCY_RATE ? '' : `; measured at ${d.ratePerSecond}/s`})`
        : '') +
      (reads ? `; verification reads per remediation: p50 ${reads.p50}, max ${reads.max}.` : '.'),
  ];
  const per = d.perPlaybook ?? [];
  if (per.length > 0) {
    lines.push(
      '',
      `Per playbook, after the S3 phase on the same worker: each playbook's own event fixture pointed at a resource of ` +
        `its conformance setup, the playbooks interleaved, at ${d.ratePerSecond}/s, the same policy (PutEvents → ` +
        '`REMEDIATED`, ms):',
      '',
      '| playbook | n | p50 | p95 | p99 | max | reads (max) | not remediated |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      `| s3-block-public-access (above) | ${d.remediation.count} | ${ms(d.remediation.p50)} | ${ms(d.remediation.p95)} | ` +
        `${ms(d.remediation.p99)} | ${ms(d.remediation.max)} | ${reads?.max ?? '–'} | ${d.notRemediated} |`,
      ...per.map((p) =>
        p.latency
          ? `| ${p.playbook} | ${p.latency.count} | ${ms(p.latency.p50)} | ${ms(p.latency.p95)} | ${ms(p.latency.p99)} | ` +
            `${ms(p.latency.max)} | ${p.reads?.max ?? '–'} | ${p.notRemediated} |`
          : `| ${p.playbook} | 0 | – | – | – | – | – | ${p.notRemediated} |`,
      ),
    );
  }
  const before = d.before;
  if (before) {
    const plus = (x: number): string => ms(x + before.defaultWaitMs);
    lines.push(
      '',
      `Before (measured ${before.date.slice(0, 10)} at ${before.ratePerSecond}/s): every remediation waited ` +
        `durably before its one verification read, ${before.defaultWaitMs} ms by default. That run set the wait to ` +
        `${before.propagationWaitMs} ms and measured S3 p50 ${ms(before.remediation.p50)}, p99 ${ms(before.remediation.p99)} ms ` +
        `(floor p99 ${ms(before.floor.p99)} ms); with the default policy's wait every figure was ` +
        `${before.defaultWaitMs} ms more: p50 ${plus(before.remediation.p50)}, p99 ${plus(before.remediation.p99)} ms, ` +
        `against p50 ${ms(d.remediation.p50)}, p99 ${ms(d.remediation.p99)} ms now.`,
    );
  }
  return lines;
}

function latencyCpu(cpu: NonNullable<LatencyData['cpu']>, perSecond: number): string[] {
  return [
    `CPU milliseconds per remediation, by process, and the cores that takes at ${perSecond}/s (the machine has 2: ` +
      'past them work queues and latency grows with every event sent):',
    '',
    ...cpuTable(
      { node: 'bench process (bridge, proxy, sender)', worker: true },
      [
        ['remediation', cpu.remediation],
        ['floor: no-op workflow', cpu.noop],
        ['floor: AWS calls made directly', cpu.directCalls],
      ],
      perSecond,
    ),
    '',
    `The floor's two parts together take ${Math.round((cpuTotal(cpu.noop) + cpuTotal(cpu.directCalls)) * 10) / 10} ms ` +
      `per remediation against the remediation's ${cpuTotal(cpu.remediation)} ms, but they are measured one after ` +
      `the other: each alone fits on the machine. When the remediation needs more than the two cores at this rate, ` +
      'its work queues from the first second and the latency measures the queue; run with a lower `--rate` to see ' +
      'the overhead alone.',
  ];
}
