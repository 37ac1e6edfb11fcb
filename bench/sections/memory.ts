/**
 * Section 5, worker memory: the worker process's resident set (VmRSS of /proc/<pid>/status) before any execution,
 * and with N executions open, each waiting for approval (policy mode `approve`), sampled once visibility counts all N
 * at `RemediationStatus = AWAITING_APPROVAL`.
 */
import { getHeapStatistics } from 'node:v8';
import type { RemediationPolicy } from '../../src/domain/policy';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';
import { residentKiB } from '../lib/children';
import { ACCOUNT, bucketNames, configEvent, createBuckets, putEventsBurst, REGION } from '../lib/events';
import { progress, sleep } from '../lib/progress';
import { scaled, startStack } from '../lib/stack';
import type { BenchContext } from '../lib/stack';
import { countWorkflows, waitUntil } from '../lib/temporal';

/** What the section reports (MiB unless named otherwise). */
export interface MemoryData {
  readonly executions: number;
  readonly awaitingApproval: number;
  readonly baselineMiB: number;
  readonly withExecutionsMiB: number;
  readonly deltaMiB: number;
  readonly perExecutionKiB: number;
  /** Highest VmRSS sampled once a second while the executions were created. */
  readonly maxSampledMiB: number;
  /** VmHWM: the process's peak resident set. */
  readonly peakMiB: number;
  /** The SDK's default workflow cache size for this Node's heap limit (all N fit when it is ≥ N). */
  readonly defaultMaxCachedWorkflows: number;
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

/** Runs the section. */
export async function runMemory(ctx: BenchContext): Promise<MemoryData> {
  const n = scaled(ctx, 1000, 10);
  const stack = await startStack(ctx, 'memory');
  try {
    const policy: RemediationPolicy = {
      ...DEFAULT_POLICY,
      defaults: { ...DEFAULT_POLICY.defaults, mode: 'approve', propagationWaitMs: 0 },
    };
    const buckets = bucketNames('bench-mem', n);
    progress(`memory: creating ${n} buckets`);
    await createBuckets(stack.aws.s3(ACCOUNT, REGION), buckets);
    const worker = await stack.startWorker({
      taskQueue: 'remediation',
      policyPath: stack.writePolicy('approve', policy),
    });
    const bridge = stack.startBridge({ taskQueue: 'remediation', policy });
    await sleep(5000);
    const pid = worker.child.pid;
    const baseline = await medianRss(pid);
    progress(`memory: baseline VmRSS ${mib(baseline)} MiB; sending ${n} events`);
    let maxSampled = baseline;
    const sampler = setInterval(() => {
      maxSampled = Math.max(maxSampled, residentKiB(pid).rssKiB);
    }, 1000);
    let awaiting = 0;
    try {
      await putEventsBurst(stack.events, buckets.map(configEvent));
      await waitUntil(
        `${n} executions awaiting approval`,
        async () => {
          awaiting = await countWorkflows(stack.client, `RemediationStatus = 'AWAITING_APPROVAL'`);
          return awaiting >= n;
        },
        Math.max(300_000, n * 500),
      );
      await sleep(5000);
    } finally {
      clearInterval(sampler);
    }
    const after = await medianRss(pid);
    const { peakKiB } = residentKiB(pid);
    progress(`memory: ${awaiting} awaiting approval; VmRSS ${mib(after)} MiB (peak ${mib(peakKiB)} MiB)`);
    await bridge.stop();
    await worker.stop();
    const heapMiB = getHeapStatistics().heap_size_limit / 1024 / 1024;
    return {
      executions: n,
      awaitingApproval: awaiting,
      baselineMiB: mib(baseline),
      withExecutionsMiB: mib(after),
      deltaMiB: mib(after - baseline),
      perExecutionKiB: Math.round(((after - baseline) / n) * 10) / 10,
      maxSampledMiB: mib(Math.max(maxSampled, after)),
      peakMiB: mib(peakKiB),
      defaultMaxCachedWorkflows: Math.max(Math.floor((Math.max(heapMiB - 200, 0) * 600) / 1024), 10),
    };
  } finally {
    await stack.stop();
  }
}

/** Markdown for the section. */
export function renderMemory(d: MemoryData): string {
  return [
    `| worker VmRSS | MiB |`,
    `| --- | ---: |`,
    `| baseline (started, polling, no execution) | ${d.baselineMiB} |`,
    `| **${d.awaitingApproval} executions open, awaiting approval** | **${d.withExecutionsMiB}** |`,
    `| difference | ${d.deltaMiB} (${d.perExecutionKiB} KiB per execution) |`,
    `| highest sampled while they were created | ${d.maxSampledMiB} |`,
    `| peak (VmHWM) | ${d.peakMiB} |`,
    '',
    `The SDK's default workflow cache for this heap limit holds ${d.defaultMaxCachedWorkflows} executions, so all ${d.executions} stay cached (sticky) while they wait.`,
  ].join('\n');
}
