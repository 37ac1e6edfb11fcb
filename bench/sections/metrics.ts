/**
 * Section 6, metrics overhead: the worker process's CPU per remediation with metrics off and on (docs/dashboards.md:
 * `METRICS_PORT` serves Prometheus from the Temporal runtime, `METRICS_EMF=true` writes the CloudWatch metrics as EMF
 * lines on stdout). The same workload runs in alternating runs, off then on, each on a fresh stack with a fresh
 * worker process: warm-up remediations, then N public-bucket Config events paced through EventBridge, the bridge and
 * the worker (real activities against moto) until every execution completed. CPU is the worker's user + system time
 * (/proc/<pid>/stat) over the measured sends. With metrics on, `/metrics` is scraped every second for the whole
 * measured phase, and the run counts only if the worker's `remediator_remediations_total` and its EMF lines both
 * count exactly the remediations it handled.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { freePort } from '../../src/devstack/processes';
import { METRICS } from '../../src/metrics/catalogue';
import { REMEDIATION_WORKFLOW_TYPE } from '../../src/workflows/definitions';
import { cpuSample } from '../lib/cpu';
import { countEmfLines } from '../lib/emf-lines';
import {
  ACCOUNT,
  bucketNames,
  configEvent,
  createBuckets,
  putEvents,
  putEventsEntry,
  REGION,
} from '../lib/events';
import { summarize } from '../lib/percentiles';
import { progress, sleep } from '../lib/progress';
import { scrapeOnce, startScraper, sumSamples } from '../lib/scraper';
import { scaled, startStack } from '../lib/stack';
import type { BenchContext, BenchStack } from '../lib/stack';
import { countWorkflows, waitUntil } from '../lib/temporal';
import { latencyPolicy, paced } from './latency';

/**
 * Events per second. The latency section measures ~150 ms of CPU per remediation over all processes
 * (docs/benchmarks.md), so 5/s keeps the two cores below saturation: CPU per remediation is then not measured
 * while work queues.
 */
const RATE_PER_SECOND = 5;
/** Scrape interval of the on runs: a Prometheus scrapes every 15 s or so; every second is the pessimistic case. */
const SCRAPE_INTERVAL_MS = 1000;
/** Off/on pairs. Alternating them shows drift of the machine instead of hiding it in one of the two figures. */
const PAIRS = 3;
const TASK_QUEUE = 'remediation';
const REMEDIATIONS_METRIC = METRICS.remediations.name;

/** The worker's environment for each mode: off sets every metrics variable empty, as if unset. */
const METRICS_OFF: Readonly<Record<string, string>> = {
  METRICS_PORT: '',
  METRICS_EMF: 'false',
  OTEL_EXPORTER_OTLP_ENDPOINT: '',
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: '',
};

/** One run: a fresh stack and worker process, N measured remediations. */
export interface MetricsRun {
  /** 1-based position in the run order. */
  readonly order: number;
  readonly metrics: 'off' | 'on';
  readonly remediations: number;
  /** Worker CPU (user + system) over the measured phase, ms. */
  readonly workerCpuMs: number;
  readonly cpuMsPerRemediation: number;
  /** First measured send → every execution completed, seconds. */
  readonly measuredSeconds: number;
  /** The whole run (stack, worker, buckets, warm-up, measured phase, checks), seconds. */
  readonly runSeconds: number;
  /** EMF lines on the worker's stdout during the measured phase, and from the worker's first poll to its end. */
  readonly emfLines: number;
  readonly emfLinesTotal: number;
  /** Sum of the `Remediations` values of those EMF lines (warm-up included). */
  readonly emfRemediations: number;
  /** Successful and failed scrapes of `/metrics` during the measured phase (on runs). */
  readonly scrapes: number;
  readonly scrapeFailures: number;
  /** Size of the `/metrics` body at the end, bytes (on runs). */
  readonly metricsBodyBytes?: number;
  /** `remediator_remediations_total` at the end (warm-up included; on runs). */
  readonly remediationsTotal?: number;
  /** The machine's 1-minute load average when the measured phase started (the cores are shared). */
  readonly load1m: number;
}

/** Min and median of one mode's runs. */
export interface MetricsStat {
  readonly min: number;
  readonly median: number;
}

/** What the section reports. */
export interface MetricsData {
  readonly remediations: number;
  readonly warmUp: number;
  readonly ratePerSecond: number;
  readonly scrapeIntervalMs: number;
  readonly pairs: number;
  readonly runs: readonly MetricsRun[];
  /** Worker CPU ms per remediation, by mode. */
  readonly off: MetricsStat;
  readonly on: MetricsStat;
  /** on / off of the medians, and of the minimums. */
  readonly ratioMedian: number | null;
  readonly ratioMin: number | null;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

const remediationQuery = `TaskQueue = '${TASK_QUEUE}' AND WorkflowType = '${REMEDIATION_WORKFLOW_TYPE}'`;

/** Waits (counting once a second) until `total` executions completed; throws as soon as one failed. */
async function waitCompleted(stack: BenchStack, total: number): Promise<void> {
  await waitUntil(
    `${total} completed executions`,
    async () => {
      const failed = await countWorkflows(
        stack.client,
        `${remediationQuery} AND ExecutionStatus != 'Running' AND ExecutionStatus != 'Completed'`,
      );
      if (failed > 0) throw new Error(`${failed} executions failed or were terminated`);
      return (
        (await countWorkflows(stack.client, `${remediationQuery} AND ExecutionStatus = 'Completed'`)) >= total
      );
    },
    Math.max(180_000, total * 2000),
  );
}

/** Retries `read` for up to 10 s until it returns `expected`; returns the last value read. */
async function settleTo(expected: number, read: () => Promise<number> | number): Promise<number> {
  const deadline = Date.now() + 10_000;
  let value = await read();
  while (value !== expected && Date.now() < deadline) {
    await sleep(250);
    value = await read();
  }
  return value;
}

/** One run on a fresh stack. */
async function runOnce(
  ctx: BenchContext,
  order: number,
  mode: 'off' | 'on',
  n: number,
  warmCount: number,
): Promise<MetricsRun> {
  const runStarted = performance.now();
  // The proxy answers StartConfigRulesEvaluation, which moto lacks (as in the latency section).
  const stack = await startStack(ctx, `metrics-${order}-${mode}`, { proxy: true });
  let run: MetricsRun;
  try {
    const warm = bucketNames('bench-met-warm', warmCount);
    const buckets = bucketNames('bench-met', n);
    await createBuckets(stack.aws.s3(ACCOUNT, REGION), [...warm, ...buckets]);
    // Its figures were measured with the wait at 0 before verification read back in a window; kept so (a first-read
    // pass does the same work either way).
    const base = latencyPolicy();
    const policy = { ...base, defaults: { ...base.defaults, propagationWaitMs: 0 } };
    const port = mode === 'on' ? await freePort() : undefined;
    const worker = await stack.startWorker({
      taskQueue: TASK_QUEUE,
      policyPath: stack.writePolicy('metrics', policy),
      env:
        port === undefined
          ? METRICS_OFF
          : { ...METRICS_OFF, METRICS_PORT: String(port), METRICS_EMF: 'true' },
    });
    const stdout = worker.child.process.stdout;
    if (!stdout) throw new Error('the worker has no stdout pipe');
    const emf = countEmfLines(stdout);
    const bridge = stack.startBridge({ taskQueue: TASK_QUEUE, policy });
    const url = port === undefined ? undefined : `http://127.0.0.1:${port}/metrics`;
    const send = async (bucket: string): Promise<void> => {
      await putEvents(stack.events, [putEventsEntry(configEvent(bucket))]);
    };

    progress(`metrics: run ${order} (${mode}): warm-up of ${warmCount}`);
    await paced(warmCount, RATE_PER_SECOND, (i) => send(warm[i] as string));
    await waitCompleted(stack, warmCount);

    progress(`metrics: run ${order} (${mode}): ${n} at ${RATE_PER_SECOND}/s`);
    const emfBefore = emf.counts().lines;
    const scraper = url === undefined ? undefined : startScraper(url, SCRAPE_INTERVAL_MS);
    const pid = worker.child.pid;
    const load1m = Math.round((loadavg()[0] ?? 0) * 100) / 100;
    const before = cpuSample({ worker: pid }).worker ?? Number.NaN;
    const measureStarted = performance.now();
    await paced(n, RATE_PER_SECOND, (i) => send(buckets[i] as string));
    await waitCompleted(stack, warmCount + n);
    const after = cpuSample({ worker: pid }).worker ?? Number.NaN;
    const measuredSeconds = (performance.now() - measureStarted) / 1000;
    const scraped = await scraper?.stop();
    const emfLines = emf.counts().lines - emfBefore;

    // The proof that metrics were on (and off): both exports count every remediation the worker handled.
    const handled = warmCount + n;
    const emfRemediations = await settleTo(mode === 'on' ? handled : 0, () => emf.counts().remediations);
    if (emfRemediations !== (mode === 'on' ? handled : 0)) {
      throw new Error(`run ${order} (${mode}): EMF counted ${emfRemediations} remediations, not ${handled}`);
    }
    let remediationsTotal: number | undefined;
    let metricsBodyBytes: number | undefined;
    if (url !== undefined) {
      let body = '';
      remediationsTotal = await settleTo(handled, async () => {
        body = await scrapeOnce(url);
        return sumSamples(body, REMEDIATIONS_METRIC);
      });
      metricsBodyBytes = Buffer.byteLength(body);
      if (remediationsTotal !== handled) {
        throw new Error(`run ${order}: ${REMEDIATIONS_METRIC} is ${remediationsTotal}, not ${handled}`);
      }
    }
    if (mode === 'off' && emf.counts().lines > 0) {
      throw new Error(`run ${order} (off): the worker wrote ${emf.counts().lines} EMF lines`);
    }
    const workerCpuMs = after - before;
    run = {
      order,
      metrics: mode,
      remediations: n,
      workerCpuMs: round1(workerCpuMs),
      cpuMsPerRemediation: round1(workerCpuMs / n),
      measuredSeconds: round1(measuredSeconds),
      runSeconds: 0,
      emfLines,
      emfLinesTotal: emf.counts().lines,
      emfRemediations,
      scrapes: scraped?.scrapes ?? 0,
      scrapeFailures: scraped?.failures ?? 0,
      ...(metricsBodyBytes !== undefined ? { metricsBodyBytes } : {}),
      ...(remediationsTotal !== undefined ? { remediationsTotal } : {}),
      load1m,
    };
    progress(
      `metrics: run ${order} (${mode}): worker ${run.cpuMsPerRemediation} ms CPU per remediation, ` +
        `${emfLines} EMF lines, ${run.scrapes} scrapes, ${Math.round(measuredSeconds)} s`,
    );
    // Both wait (the bridge for its long poll, the worker for its graceful shutdown): together, not one after the other.
    await Promise.all([bridge.stop(), worker.stop()]);
  } finally {
    await stack.stop();
  }
  return { ...run, runSeconds: round1((performance.now() - runStarted) / 1000) };
}

function stat(values: readonly number[]): MetricsStat {
  const s = summarize(values);
  return { min: s.min, median: s.p50 };
}

function ratioOf(on: number, off: number): number | null {
  return off > 0 ? Math.round((on / off) * 1000) / 1000 : null;
}

/** Runs the section. */
export async function runMetrics(ctx: BenchContext): Promise<MetricsData> {
  const n = scaled(ctx, 200, 20);
  const warmUp = Math.max(5, Math.round(n / 25));
  const runs: MetricsRun[] = [];
  for (let pair = 0; pair < PAIRS; pair += 1) {
    for (const mode of ['off', 'on'] as const) {
      runs.push(await runOnce(ctx, runs.length + 1, mode, n, warmUp));
    }
  }
  const perRemediation = (mode: 'off' | 'on'): number[] =>
    runs.filter((r) => r.metrics === mode).map((r) => r.cpuMsPerRemediation);
  const off = stat(perRemediation('off'));
  const on = stat(perRemediation('on'));
  return {
    remediations: n,
    warmUp,
    ratePerSecond: RATE_PER_SECOND,
    scrapeIntervalMs: SCRAPE_INTERVAL_MS,
    pairs: PAIRS,
    runs,
    off,
    on,
    ratioMedian: ratioOf(on.median, off.median),
    ratioMin: ratioOf(on.min, off.min),
  };
}

/** The section's one-line result. */
export function metricsHeadline(d: MetricsData): string {
  return (
    `worker CPU per remediation ${d.off.median} ms off → ${d.on.median} ms on ` +
    `(median of ${d.pairs}; ratio ${d.ratioMedian ?? 'n/a'}), N = ${d.remediations}`
  );
}

/** Markdown for the section. */
export function renderMetrics(d: MetricsData): string {
  const cell = (x: number | undefined): string => (x === undefined ? '–' : String(x));
  const diff = (a: number, b: number): number => round1(b - a);
  return [
    `${d.remediations} remediations per run at ${d.ratePerSecond}/s after ${d.warmUp} warm-up ones, ` +
      `${d.pairs} off/on pairs in the order shown; on = \`METRICS_PORT\` + \`METRICS_EMF=true\` with \`/metrics\` ` +
      `scraped every ${d.scrapeIntervalMs / 1000} s:`,
    '',
    '| run | metrics | worker CPU (ms) | **ms per remediation** | measured phase (s) | whole run (s) | EMF lines | scrapes | `/metrics` at the end (bytes) | `remediator_remediations_total` | load (1 min) |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...d.runs.map(
      (r) =>
        `| ${r.order} | ${r.metrics} | ${r.workerCpuMs} | **${r.cpuMsPerRemediation}** | ${r.measuredSeconds} | ` +
        `${r.runSeconds} | ${r.emfLines} | ${r.metrics === 'on' ? `${r.scrapes}${r.scrapeFailures ? ` (${r.scrapeFailures} failed)` : ''}` : '–'} | ` +
        `${cell(r.metricsBodyBytes)} | ${cell(r.remediationsTotal)} | ${r.load1m} |`,
    ),
    '',
    '| worker CPU per remediation (ms) | off | on | on − off | on / off |',
    '| --- | ---: | ---: | ---: | ---: |',
    `| **median** | ${d.off.median} | ${d.on.median} | ${diff(d.off.median, d.on.median)} | **${d.ratioMedian ?? 'n/a'}** |`,
    `| min | ${d.off.min} | ${d.on.min} | ${diff(d.off.min, d.on.min)} | ${d.ratioMin ?? 'n/a'} |`,
    '',
    'EMF lines are those of the measured phase; `remediator_remediations_total` (read after the phase) and the ' +
      "`Remediations` values of the worker's EMF lines both count the warm-up too, and each run counts only if both " +
      "equal warm-up + N (and the off runs wrote no EMF line). Load is the machine's 1-minute load average when " +
      'the measured phase started: the two cores are shared, so compare runs made under similar loads.',
  ].join('\n');
}
