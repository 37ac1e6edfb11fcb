/**
 * Section 5, worker memory. Two questions, each answered from the worker process's resident set (VmRSS of
 * /proc/<pid>/status):
 *
 * 1. **What one cached open execution costs**, side by side on one server: N remediations in their cool-down, N
 *    awaiting approval, and N executions of the no-op workflow of the same shape (bench/floor: the same signal,
 *    update and query handlers, the cool-down timer) in theirs; each set on a worker process of its own whose sticky
 *    cache holds them all. Per execution = (RSS with the N open − RSS idle) ÷ N.
 * 2. **What a bounded cache holds**: M open executions (half in cool-down, half awaiting approval) on one worker with
 *    the product's default cache (`WORKER_MAX_CACHED_WORKFLOWS`) and the container image's NODE_OPTIONS (its heap
 *    bound), RSS sampled every second while they open; then a
 *    repeat finding signalled to the earliest executions (evicted: the cache keeps the most recently used), paced,
 *    and the time from the signal to the end of the workflow task that handled it; then the same signals again, to
 *    the same executions, now cached.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_MAX_CACHED_WORKFLOWS } from '../../src/config';
import { freePort } from '../../src/devstack/processes';
import type { RoutedFinding } from '../../src/domain/finding';
import type { RemediationPolicy } from '../../src/domain/policy';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';
import { findingSignal } from '../../src/workflows/definitions';
import type { HistoryEventJson } from '../lib/billable-actions';
import { residentKiB } from '../lib/children';
import {
  ACCOUNT,
  bucketNames,
  bucketWorkflowId,
  configEvent,
  createBuckets,
  pool,
  feedQueue,
  REGION,
} from '../lib/events';
import { summarize } from '../lib/percentiles';
import type { Summary } from '../lib/percentiles';
import { progress, sleep } from '../lib/progress';
import { scrapeOnce, sumSamples } from '../lib/scraper';
import { scaled, startStack } from '../lib/stack';
import type { BenchContext, BenchStack, WorkerProcess } from '../lib/stack';
import { countWorkflows, eventTimeMs, historyJson, payloadValue, waitUntil } from '../lib/temporal';

/** Ours per cached execution at most this many times the no-op's (issue 17). */
export const PER_EXECUTION_RATIO_TARGET = 1.5;
/** Worker RSS with the bounded phase's executions open, at most (MiB). */
export const RSS_TARGET_MIB = 512;
/** Executions open in the bounded phase at full scale. */
const BOUNDED_EXECUTIONS = 10_000;
/**
 * Signals sent to evicted executions (and again once cached) in the bounded phase: at most two thirds of the cache,
 * so the second round finds every one of them still cached.
 */
const SIGNALS = Math.min(200, Math.floor((DEFAULT_MAX_CACHED_WORKFLOWS * 2) / 3));
/** One signal every this many ms: paced, so each measures handling rather than a queue. */
const SIGNAL_GAP_MS = 100;
/** The cool-down of every execution here: longer than the section, so none closes while it is measured. */
const COOLDOWN_MS = 3_600_000;
/**
 * Events per second when the cached sets open: one rate for all three, which each keeps up with, so each worker's
 * heap holds the garbage of the same pace when it is sampled (RSS counts garbage not yet collected).
 */
const CACHED_RATE = 10;
/** The rule whose findings wait for approval (a per-control override); the public-read ones remediate. */
const APPROVAL_RULE = 's3-bucket-public-write-prohibited';

/** One set of N cached executions on a worker of its own. */
export interface CachedRun {
  readonly label: string;
  readonly executions: number;
  readonly baselineMiB: number;
  readonly withExecutionsMiB: number;
  readonly perExecutionKiB: number;
}

/** Signal → handled, for one round of signals. */
export interface SignalRound {
  /** Client time just before the signal → the server time of the WorkflowTaskCompleted that handled it (ms). */
  readonly handled: Summary;
  /** Sticky cache misses of the worker during the round (a miss replays the execution from its history). */
  readonly cacheMisses: number | null;
}

/** The bounded-cache phase. */
export interface BoundedRun {
  readonly executions: number;
  readonly inCooldown: number;
  readonly awaitingApproval: number;
  readonly maxCachedWorkflows: number;
  readonly baselineMiB: number;
  /** Median of three samples once all were open. */
  readonly withExecutionsMiB: number;
  readonly maxSampledMiB: number;
  readonly peakMiB: number;
  /** The SDK's gauge once all were open. */
  readonly stickyCacheSize: number | null;
  readonly forcedEvictions: number | null;
  readonly evicted: SignalRound;
  readonly cached: SignalRound;
}

/** What the section reports (MiB unless named otherwise). */
export interface MemoryData {
  readonly perExecution: {
    readonly cooldown: CachedRun;
    readonly approval: CachedRun;
    readonly noop: CachedRun;
    /** Ours in cool-down ÷ the no-op's, per execution. */
    readonly ratio: number | null;
    readonly target: number;
  };
  readonly bounded: BoundedRun;
  readonly rssTargetMiB: number;
}

/** The NODE_OPTIONS the container image sets (its Dockerfile's ENV), so the bounded phase runs as production does. */
export function imageNodeOptions(ctx: BenchContext): string {
  const dockerfile = readFileSync(join(ctx.root, 'Dockerfile'), 'utf8');
  const found = /NODE_OPTIONS=("[^"]*"|\S+)/.exec(dockerfile)?.[1];
  if (!found) throw new Error('the Dockerfile sets no NODE_OPTIONS');
  return found.replace(/^"|"$/g, '');
}

const mib = (kib: number): number => Math.round((kib / 1024) * 10) / 10;

async function medianRss(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 3; i += 1) {
    samples.push(residentKiB(pid).rssKiB);
    if (i < 2) await sleep(1000);
  }
  return samples.sort((a, b) => a - b)[1] as number;
}

/** The public-read event of `bucket`, or the approval rule's. */
function eventFor(bucket: string, rule: 'read' | 'approval'): Record<string, unknown> {
  const event = configEvent(bucket);
  if (rule === 'read') return event;
  return JSON.parse(
    JSON.stringify(event).split('s3-bucket-public-read-prohibited').join(APPROVAL_RULE),
  ) as Record<string, unknown>;
}

/**
 * The policy of this section: the product default (no breaker, so admission reads the published controls instead of
 * sending an update), a one-hour cool-down, and the approval rule asking first.
 */
function memoryPolicy(approveAll: boolean): RemediationPolicy {
  return {
    ...DEFAULT_POLICY,
    cooldownMs: COOLDOWN_MS,
    defaults: {
      ...DEFAULT_POLICY.defaults,
      ...(approveAll ? { mode: 'approve' as const } : {}),
    },
    controls: { [APPROVAL_RULE]: { mode: 'approve' } },
  };
}

/**
 * Puts `events` on the ingest queue, runs the bridge for `taskQueue` until visibility counts every wanted status, and
 * stops it. `onWait` runs once a second meanwhile (RSS sampling).
 */
async function openExecutions(
  stack: BenchStack,
  taskQueue: string,
  policy: RemediationPolicy,
  events: readonly Record<string, unknown>[],
  wanted: Readonly<Record<string, number>>,
  onWait: () => void = () => undefined,
  perSecond?: number,
): Promise<Record<string, number>> {
  const bridge = stack.startBridge({ taskQueue, policy, name: `bridge-${taskQueue}`, waitTimeSeconds: 1 });
  const counts: Record<string, number> = {};
  try {
    let fed = false;
    const feeding = feedQueue(
      stack.aws.sqs(REGION),
      stack.resources.ingestQueueUrl,
      events,
      300,
      perSecond,
    ).then(() => {
      fed = true;
    });
    const total = Object.values(wanted).reduce((a, b) => a + b, 0);
    let lastReport = Date.now();
    await waitUntil(
      `${total} executions open on ${taskQueue}`,
      async () => {
        onWait();
        for (const status of Object.keys(wanted)) {
          counts[status] = await countWorkflows(
            stack.client,
            `TaskQueue = '${taskQueue}' AND RemediationStatus = '${status}'`,
          );
        }
        if (Date.now() - lastReport > 15_000) {
          progress(`memory: ${taskQueue} ${JSON.stringify(counts)} of ${JSON.stringify(wanted)}`);
          lastReport = Date.now();
        }
        return fed && Object.entries(wanted).every(([status, n]) => (counts[status] ?? 0) >= n);
      },
      Math.max(300_000, total * 200),
    );
    await feeding;
  } finally {
    await bridge.stop();
  }
  return counts;
}

/** N executions opened on a fresh worker that caches them all: RSS idle and with them. */
async function cachedRun(
  stack: BenchStack,
  label: string,
  n: number,
  kind: 'cooldown' | 'approval' | 'noop',
): Promise<CachedRun> {
  const taskQueue = `memory-${kind}`;
  const policy = memoryPolicy(kind === 'approval');
  const policyPath = stack.writePolicy(taskQueue, policy);
  const cacheEnv = { WORKER_MAX_CACHED_WORKFLOWS: String(n + 100) };
  const worker: WorkerProcess =
    kind === 'noop'
      ? await stack.startFloorWorker({ taskQueue, policyPath, env: cacheEnv })
      : await stack.startWorker({ taskQueue, policyPath, name: `worker-${kind}`, env: cacheEnv });
  try {
    await sleep(5000);
    const baseline = await medianRss(worker.child.pid);
    const buckets = bucketNames(`bench-mem-${kind}`, n);
    await createBuckets(stack.aws.s3(ACCOUNT, REGION), buckets);
    const status = kind === 'approval' ? 'AWAITING_APPROVAL' : 'REMEDIATED';
    await openExecutions(
      stack,
      taskQueue,
      policy,
      buckets.map((b) => eventFor(b, 'read')),
      { [status]: n },
      undefined,
      CACHED_RATE,
    );
    await sleep(5000);
    const after = await medianRss(worker.child.pid);
    const run: CachedRun = {
      label,
      executions: n,
      baselineMiB: mib(baseline),
      withExecutionsMiB: mib(after),
      perExecutionKiB: Math.round(((after - baseline) / n) * 10) / 10,
    };
    progress(
      `memory: ${label}: ${run.baselineMiB} → ${run.withExecutionsMiB} MiB, ${run.perExecutionKiB} KiB each`,
    );
    return run;
  } finally {
    await worker.stop();
  }
}

/** Sticky cache figures from the worker's Prometheus endpoint (null when it did not answer). */
async function stickyCache(url: string): Promise<{ size: number; misses: number; evictions: number } | null> {
  try {
    const body = await scrapeOnce(url);
    return {
      size: sumSamples(body, 'temporal_sticky_cache_size'),
      misses: sumSamples(body, 'temporal_sticky_cache_miss'),
      evictions: sumSamples(body, 'temporal_sticky_cache_total_forced_eviction'),
    };
  } catch {
    return null;
  }
}

/**
 * Signals each execution once more with the finding that opened it (a repeat: recorded, not re-applied), one every
 * SIGNAL_GAP_MS, then reads each history for the WorkflowTaskCompleted after its `round`-th extra signal.
 */
async function signalRound(
  stack: BenchStack,
  workflowIds: readonly string[],
  round: number,
  metricsUrl: string,
): Promise<SignalRound> {
  const before = await stickyCache(metricsUrl);
  const sentAt = new Map<string, number>();
  for (const id of workflowIds) {
    const events = await historyJson(stack.client, id);
    const opened = events.find((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED');
    const input = (opened?.workflowExecutionSignaledEventAttributes as { input?: { payloads?: unknown[] } })
      ?.input?.payloads?.[0];
    if (input === undefined) throw new Error(`${id}: no signal to repeat in its history`);
    const routed = payloadValue(input) as RoutedFinding;
    const next = Date.now() + SIGNAL_GAP_MS;
    sentAt.set(id, Date.now());
    await stack.client.workflow.getHandle(id).signal(findingSignal, routed);
    const wait = next - Date.now();
    if (wait > 0) await sleep(wait);
  }
  await sleep(3000);
  const handled: number[] = [];
  await pool(workflowIds, 8, async (id) => {
    const events: HistoryEventJson[] = await historyJson(stack.client, id);
    const signals = events.filter((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED');
    const signalled = signals[round];
    if (!signalled) throw new Error(`${id}: signal ${round} is not in its history`);
    const done = events.find(
      (e) =>
        Number(e.eventId) > Number(signalled.eventId) && e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED',
    );
    if (!done) throw new Error(`${id}: signal ${round} was not handled`);
    handled.push(eventTimeMs(done) - (sentAt.get(id) as number));
  });
  const after = await stickyCache(metricsUrl);
  return {
    handled: summarize(handled),
    cacheMisses: before && after ? after.misses - before.misses : null,
  };
}

/** M executions open on the default bounded cache: RSS, then signals to evicted and to cached ones. */
async function boundedRun(ctx: BenchContext, stack: BenchStack): Promise<BoundedRun> {
  const m = scaled(ctx, BOUNDED_EXECUTIONS, 200);
  const half = Math.floor(m / 2);
  const taskQueue = 'memory-bounded';
  const policy = memoryPolicy(false);
  const port = await freePort();
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  const worker = await stack.startWorker({
    taskQueue,
    policyPath: stack.writePolicy(taskQueue, policy),
    name: 'worker-bounded',
    // As the container image runs it: its NODE_OPTIONS bound each V8 heap, so garbage does not pile up to the host's
    // default limit (4 GiB on a 24 GiB machine) before a full collection.
    env: { METRICS_PORT: String(port), NODE_OPTIONS: imageNodeOptions(ctx) },
  });
  try {
    await sleep(5000);
    const pid = worker.child.pid;
    const baseline = await medianRss(pid);
    const cooling = bucketNames('bench-mem-bounded-c', half);
    const waiting = bucketNames('bench-mem-bounded-a', m - half);
    progress(`memory: creating ${m} buckets`);
    await createBuckets(stack.aws.s3(ACCOUNT, REGION), [...cooling, ...waiting]);
    progress(`memory: opening ${m} executions on the default cache (${DEFAULT_MAX_CACHED_WORKFLOWS})`);
    let maxSampled = baseline;
    // Interleaved, so the two kinds open side by side as a mixed storm would.
    const events = cooling.flatMap((b, i) => [
      eventFor(b, 'read'),
      ...(waiting[i] ? [eventFor(waiting[i], 'approval')] : []),
    ]);
    const counts = await openExecutions(
      stack,
      taskQueue,
      policy,
      events,
      { REMEDIATED: half, AWAITING_APPROVAL: m - half },
      () => {
        maxSampled = Math.max(maxSampled, residentKiB(pid).rssKiB);
      },
    );
    await sleep(5000);
    const after = await medianRss(pid);
    const { peakKiB } = residentKiB(pid);
    const cache = await stickyCache(metricsUrl);
    progress(
      `memory: ${m} open (${JSON.stringify(counts)}): VmRSS ${mib(after)} MiB, peak ${mib(peakKiB)} MiB, ` +
        `sticky cache ${cache?.size ?? '?'}`,
    );
    // The earliest executions of the cool-down set: the cache keeps the most recently used, so these left it long ago.
    const sample = cooling.slice(0, Math.min(SIGNALS, Math.floor(half / 4))).map(bucketWorkflowId);
    const evicted = await signalRound(stack, sample, 1, metricsUrl);
    progress(
      `memory: evicted: signal → handled p99 ${evicted.handled.p99} ms, misses ${evicted.cacheMisses}`,
    );
    const cached = await signalRound(stack, sample, 2, metricsUrl);
    progress(`memory: cached: signal → handled p99 ${cached.handled.p99} ms, misses ${cached.cacheMisses}`);
    return {
      executions: m,
      inCooldown: counts.REMEDIATED ?? 0,
      awaitingApproval: counts.AWAITING_APPROVAL ?? 0,
      maxCachedWorkflows: DEFAULT_MAX_CACHED_WORKFLOWS,
      baselineMiB: mib(baseline),
      withExecutionsMiB: mib(after),
      maxSampledMiB: mib(Math.max(maxSampled, after)),
      peakMiB: mib(peakKiB),
      stickyCacheSize: cache?.size ?? null,
      forcedEvictions: cache?.evictions ?? null,
      evicted,
      cached,
    };
  } finally {
    await worker.stop();
  }
}

/** Runs the section. */
export async function runMemory(ctx: BenchContext): Promise<MemoryData> {
  const n = scaled(ctx, 1000, 20);
  const stack = await startStack(ctx, 'memory');
  try {
    // The cached sets first: moto slows down as the bounded phase's 10,000 buckets and their records pile up.
    const cooldown = await cachedRun(stack, 'remediation, in cool-down', n, 'cooldown');
    const approval = await cachedRun(stack, 'remediation, awaiting approval', n, 'approval');
    const noop = await cachedRun(stack, 'no-op of the same shape, in cool-down', n, 'noop');
    const bounded = await boundedRun(ctx, stack);
    return {
      perExecution: {
        cooldown,
        approval,
        noop,
        ratio:
          noop.perExecutionKiB > 0
            ? Math.round((cooldown.perExecutionKiB / noop.perExecutionKiB) * 100) / 100
            : null,
        target: PER_EXECUTION_RATIO_TARGET,
      },
      bounded,
      rssTargetMiB: RSS_TARGET_MIB,
    };
  } finally {
    await stack.stop();
  }
}

const ms = (v: number): string => String(Math.round(v));

/** Results recorded before the section compared cached executions (they lack both parts). */
const OLD_FORMAT = 'recorded in an older format: run `npm run bench -- --only memory`';
const isCurrent = (d: MemoryData): boolean => d.perExecution !== undefined && d.bounded !== undefined;

/** Markdown for the section. */
export function renderMemory(d: MemoryData): string {
  if (!isCurrent(d)) return OLD_FORMAT;
  const p = d.perExecution;
  const b = d.bounded;
  const row = (r: CachedRun): string =>
    `| ${r.label} | ${r.executions} | ${r.baselineMiB} | ${r.withExecutionsMiB} | **${r.perExecutionKiB}** |`;
  const signalRow = (name: string, r: SignalRound): string =>
    `| ${name} | ${r.handled.count} | ${ms(r.handled.p50)} | ${ms(r.handled.p95)} | **${ms(r.handled.p99)}** | ${ms(r.handled.max)} | ${r.cacheMisses ?? 'n/a'} |`;
  const ratioMet = p.ratio !== null && p.ratio <= p.target;
  const rssMet = b.maxSampledMiB <= d.rssTargetMiB;
  return [
    '**Per cached execution** (each set on a worker process of its own, whose cache holds every one of them):',
    '',
    `| executions | n | idle VmRSS MiB | with them open MiB | KiB per execution |`,
    `| --- | ---: | ---: | ---: | ---: |`,
    row(p.cooldown),
    row(p.approval),
    row(p.noop),
    '',
    `Ours in cool-down ÷ the no-op's: **${p.ratio ?? 'n/a'}** (target ≤ ${p.target}: ${ratioMet ? 'meets' : 'misses'}).`,
    '',
    `**${b.executions} open executions on the default cache** (\`WORKER_MAX_CACHED_WORKFLOWS\` = ${b.maxCachedWorkflows}): ${b.inCooldown} in cool-down, ${b.awaitingApproval} awaiting approval.`,
    '',
    `| worker | MiB |`,
    `| --- | ---: |`,
    `| idle | ${b.baselineMiB} |`,
    `| **all ${b.executions} open** (median of 3) | **${b.withExecutionsMiB}** |`,
    `| highest sampled while they opened (1/s) | ${b.maxSampledMiB} |`,
    `| peak (VmHWM) | ${b.peakMiB} |`,
    '',
    `Target: ≤ ${d.rssTargetMiB} MiB with them open: ${rssMet ? 'meets' : 'misses'} (highest sample). Sticky cache gauge: ${b.stickyCacheSize ?? 'n/a'} executions; forced evictions: ${b.forcedEvictions ?? 'n/a'}.`,
    '',
    `A repeat finding signalled to the earliest executions, one every ${SIGNAL_GAP_MS} ms (milliseconds, just before the signal → the server's WorkflowTaskCompleted that handled it):`,
    '',
    `| signal to | n | p50 | p95 | p99 | max | sticky cache misses |`,
    `| --- | ---: | ---: | ---: | ---: | ---: | ---: |`,
    signalRow('an evicted execution (replayed from its history)', b.evicted),
    signalRow('the same executions again, now cached', b.cached),
  ].join('\n');
}

/** The summary line. */
export function memoryHeadline(d: MemoryData): string {
  if (!isCurrent(d)) return OLD_FORMAT;
  const b = d.bounded;
  return (
    `${d.perExecution.cooldown.perExecutionKiB} KiB per cached execution, ${d.perExecution.ratio ?? 'n/a'}× the no-op's ` +
    `(target ≤ ${d.perExecution.target}); ${b.executions} open on a cache of ${b.maxCachedWorkflows}: ` +
    `${b.maxSampledMiB} MiB at most (target ≤ ${d.rssTargetMiB}); evicted signal p99 ${ms(b.evicted.handled.p99)} ms`
  );
}
