/**
 * Section 7, scale-out: the storm of section 3 (every resource's NON_COMPLIANT event ten times, shuffled) put straight
 * on the ingest queue in SendMessageBatch calls of ten (moto's EventBridge takes minutes per 10,000), drained by
 * `remediator ingest` and `remediator worker` processes on one server: first one worker and one bridge, then three
 * workers and two bridges with a worker chosen at random SIGKILLed and started again every 15 s and one bridge
 * SIGKILLed once, mid-storm. Both on the same machine, in the same run, each on a fresh stack. Drain = the first send →
 * the queue empty and every resource at `REMEDIATED`. Applied changes are the successful PutPublicAccessBlock calls per
 * bucket at the proxy (every bucket starts without a block and the step reads before it writes).
 */
import { performance } from 'node:perf_hooks';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { RemediationPolicy } from '../../src/domain/policy';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';
import { REMEDIATION_WORKFLOW_TYPE } from '../../src/workflows/definitions';
import type { Child } from '../lib/children';
import {
  ACCOUNT,
  bucketNames,
  configEvent,
  createBuckets,
  feedQueue,
  REGION,
  seededRandom,
  shuffled,
} from '../lib/events';
import { progress } from '../lib/progress';
import { scaled, startStack } from '../lib/stack';
import type { BenchContext, BenchStack, WorkerProcess } from '../lib/stack';
import { countWorkflows, waitUntil } from '../lib/temporal';

const KILL_EVERY_MS = 15_000;

/** One drain. */
export interface ScaleOutRun {
  readonly workers: number;
  readonly bridges: number;
  readonly resources: number;
  readonly events: number;
  readonly sendSeconds: number;
  readonly drainSeconds: number;
  readonly workerKills: number;
  readonly bridgeKills: number;
  readonly executions: number;
  readonly remediated: number;
  readonly appliedChanges: number;
  readonly bucketsChanged: number;
  readonly bucketsChangedTwice: number;
  readonly deadLettered: number;
}

/** What the section reports. */
export interface ScaleOutData {
  readonly single: ScaleOutRun;
  readonly scaled: ScaleOutRun;
}

async function queueDepth(stack: BenchStack, queueUrl: string): Promise<number> {
  const a = await stack.aws.sqs(REGION).send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(a.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(a.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

async function drain(
  ctx: BenchContext,
  name: string,
  workers: number,
  bridges: number,
  kills: boolean,
): Promise<ScaleOutRun> {
  const stack = await startStack(ctx, `scaleout-${name}`, { proxy: true });
  const proxy = stack.proxy;
  if (!proxy) throw new Error('the scale-out section needs the proxy');
  try {
    const resources = scaled(ctx, 1000, 10);
    const taskQueue = 'remediation';
    // The product default: a 15 min cool-down keeps each execution open to absorb the repeats.
    const policy: RemediationPolicy = DEFAULT_POLICY;
    const policyPath = stack.writePolicy(name, policy);
    const buckets = bucketNames(`bench-scale-${name}`, resources);
    progress(`scaleout-${name}: creating ${resources} buckets`);
    await createBuckets(stack.aws.s3(ACCOUNT, REGION), buckets);
    const workerProcesses: WorkerProcess[] = [];
    for (let i = 0; i < workers; i += 1) {
      workerProcesses.push(await stack.startWorker({ taskQueue, policyPath, name: `worker-${i}` }));
    }
    const bridgeProcesses: Child[] = [];
    for (let i = 0; i < bridges; i += 1) {
      bridgeProcesses.push(await stack.startIngestProcess({ taskQueue, policyPath, name: `ingest-${i}` }));
    }
    proxy.reset();
    const storm = shuffled(buckets.flatMap((b) => Array.from({ length: 10 }, () => b))).map(configEvent);
    progress(
      `scaleout-${name}: ${storm.length} events for ${resources} resources, ${workers} workers, ${bridges} bridges`,
    );
    const t0 = performance.now();
    let sendSeconds = 0;
    const sending = feedQueue(stack.aws.sqs(REGION), stack.resources.ingestQueueUrl, storm).then(() => {
      sendSeconds = (performance.now() - t0) / 1000;
    });
    const random = seededRandom(17);
    const choose = (n: number): number => Math.floor(random() * n);
    let workerKills = 0;
    let bridgeKills = 0;
    let nextKill = t0 + KILL_EVERY_MS;
    let restarts = 0;
    const wf = `WorkflowType = '${REMEDIATION_WORKFLOW_TYPE}'`;
    let remediated = 0;
    let lastReport = 0;
    await waitUntil(
      `scaleout-${name} to drain`,
      async () => {
        if (kills && performance.now() >= nextKill) {
          nextKill += KILL_EVERY_MS;
          const i = choose(workers);
          const victim = workerProcesses[i] as WorkerProcess;
          victim.child.process.kill('SIGKILL');
          await victim.child.exited;
          restarts += 1;
          workerProcesses[i] = await stack.startWorker({
            taskQueue,
            policyPath,
            name: `worker-${i}-r${restarts}`,
          });
          workerKills += 1;
          progress(`scaleout-${name}: worker ${i} killed and restarted (${workerKills})`);
          // One bridge, once: at the second worker kill, while the queue still holds most of the storm.
          if (bridgeKills === 0 && workerKills === 1) {
            const b = choose(bridges);
            const bridge = bridgeProcesses[b] as Child;
            bridge.process.kill('SIGKILL');
            await bridge.exited;
            bridgeProcesses[b] = await stack.startIngestProcess({
              taskQueue,
              policyPath,
              name: `ingest-${b}-r1`,
            });
            bridgeKills += 1;
            progress(`scaleout-${name}: bridge ${b} killed and restarted`);
          }
        }
        remediated = await countWorkflows(stack.client, `${wf} AND RemediationStatus = 'REMEDIATED'`);
        // An escalation is an outcome too (retries spent on killed workers): the table shows it as fewer REMEDIATED.
        const escalated = await countWorkflows(stack.client, `${wf} AND RemediationStatus = 'ESCALATED'`);
        const depth = await queueDepth(stack, stack.resources.ingestQueueUrl);
        if (performance.now() - lastReport > 15_000) {
          progress(
            `scaleout-${name}: queue ${depth}, remediated ${remediated}/${resources}, escalated ${escalated}`,
          );
          lastReport = performance.now();
        }
        return sendSeconds > 0 && depth === 0 && remediated + escalated >= resources;
      },
      Math.max(600_000, storm.length * 200),
    );
    const drainSeconds = (performance.now() - t0) / 1000;
    await sending;
    progress(`scaleout-${name}: drained in ${drainSeconds.toFixed(1)} s`);
    const puts = [...proxy.publicAccessBlockPuts.values()];
    return {
      workers,
      bridges,
      resources,
      events: storm.length,
      sendSeconds: Math.round(sendSeconds * 10) / 10,
      drainSeconds: Math.round(drainSeconds * 10) / 10,
      workerKills,
      bridgeKills,
      executions: await countWorkflows(stack.client, wf),
      remediated,
      appliedChanges: puts.reduce((a, b) => a + b, 0),
      bucketsChanged: puts.length,
      bucketsChangedTwice: puts.filter((c) => c > 1).length,
      deadLettered: await queueDepth(stack, stack.resources.deadLetterQueueUrl),
    };
  } finally {
    await stack.stop();
  }
}

/** Runs the section: one worker and one bridge, then three and two under kills. */
export async function runScaleOut(ctx: BenchContext): Promise<ScaleOutData> {
  const single = await drain(ctx, 'single', 1, 1, false);
  const many = await drain(ctx, 'many', 3, 2, true);
  return { single, scaled: many };
}

/** Markdown for the section. */
export function renderScaleOut(d: ScaleOutData): string {
  const line = (label: string, r: ScaleOutRun): string =>
    `| ${label} | ${r.events} / ${r.resources} | ${r.workerKills} workers, ${r.bridgeKills} bridge | ${r.executions} | ${r.remediated} | ${r.appliedChanges} (${r.bucketsChanged} buckets, ${r.bucketsChangedTwice} twice) | ${r.deadLettered} | ${r.sendSeconds} | **${r.drainSeconds}** |`;
  const exact = (r: ScaleOutRun): boolean =>
    r.appliedChanges === r.resources && r.bucketsChangedTwice === 0 && r.executions === r.resources;
  const ratio =
    d.single.drainSeconds > 0
      ? Math.round((d.scaled.drainSeconds / d.single.drainSeconds) * 100) / 100
      : null;
  return [
    `| processes | events / resources | SIGKILLed | executions | REMEDIATED | applied changes (PutPublicAccessBlock) | dead-lettered | send s | drain s |`,
    `| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`,
    line(`${d.single.workers} worker, ${d.single.bridges} bridge`, d.single),
    line(`${d.scaled.workers} workers, ${d.scaled.bridges} bridges, killed at random`, d.scaled),
    '',
    `Exactly one change and one execution per resource: ${exact(d.single) ? 'yes' : '**no**'} (1 + 1), ${exact(d.scaled) ? 'yes' : '**no**'} (${d.scaled.workers} + ${d.scaled.bridges}, killed). ` +
      `Drain time ${d.scaled.workers} + ${d.scaled.bridges} under kills ÷ 1 + 1: **${ratio ?? 'n/a'}**. On one 2-core machine the processes share the same two cores as the server and moto, so more processes cannot drain faster here: the row shows what the kills cost, not what a second machine would gain.`,
  ].join('\n');
}

/** The summary line. */
export function scaleOutHeadline(d: ScaleOutData): string {
  return (
    `${d.scaled.appliedChanges} changes, ${d.scaled.executions} executions for ${d.scaled.resources} resources under ` +
    `${d.scaled.workerKills} worker kills and ${d.scaled.bridgeKills} bridge kill; drained in ${d.scaled.drainSeconds} s ` +
    `(1 worker, 1 bridge: ${d.single.drainSeconds} s)`
  );
}
