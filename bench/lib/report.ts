/**
 * bench/results/latest.json and docs/benchmarks.md: every section keeps its latest record (with its date, scale,
 * machine and the command that produced it), and the page is rendered from all of them, so running one section
 * refreshes its part and keeps the others.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { renderCost } from '../sections/cost';
import type { CostData } from '../sections/cost';
import { renderLatency } from '../sections/latency';
import type { LatencyData } from '../sections/latency';
import { memoryHeadline, renderMemory } from '../sections/memory';
import type { MemoryData } from '../sections/memory';
import { metricsHeadline, renderMetrics } from '../sections/metrics';
import type { MetricsData } from '../sections/metrics';
import { renderScaleOut, scaleOutHeadline } from '../sections/scaleout';
import type { ScaleOutData } from '../sections/scaleout';
import { renderStorm } from '../sections/storm';
import type { StormData } from '../sections/storm';
import { renderThroughput } from '../sections/throughput';
import type { ThroughputData } from '../sections/throughput';
import type { MachineFacts } from './machine';

/** The sections, in the order they run and appear. */
export const SECTION_NAMES = [
  'throughput',
  'latency',
  'storm',
  'cost',
  'memory',
  'metrics',
  'scaleout',
] as const;
/** One section's name. */
export type SectionName = (typeof SECTION_NAMES)[number];

/** What each section's data looks like. */
export interface SectionDataMap {
  throughput: ThroughputData;
  latency: LatencyData;
  storm: StormData;
  cost: CostData;
  memory: MemoryData;
  metrics: MetricsData;
  scaleout: ScaleOutData;
}

/** One section's latest result. */
export interface SectionRecord<T = unknown> {
  readonly date: string;
  readonly scale: number;
  readonly runner: string;
  /** How moto ran: unchanged, or with its two emulator costs taken out (bench/lib/moto-fast.ts). */
  readonly moto?: string;
  readonly durationSeconds: number;
  readonly command: string;
  readonly machine: MachineFacts;
  readonly data?: T;
  readonly error?: string;
}

/** The whole results file. */
export interface Results {
  updatedAt: string;
  sections: { [K in SectionName]?: SectionRecord<SectionDataMap[K]> };
}

/** Reads the results file, or an empty one. */
export function readResults(path: string): Results {
  if (!existsSync(path)) return { updatedAt: '', sections: {} };
  return JSON.parse(readFileSync(path, 'utf8')) as Results;
}

/** Writes the results file. */
export function writeResults(path: string, results: Results): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
}

const TITLES: Record<SectionName, string> = {
  throughput: '1. Ingest throughput',
  latency: '2. End-to-end latency',
  storm: '3. Event storm',
  cost: '4. Cost per remediation',
  memory: '5. Worker memory',
  metrics: '6. Metrics overhead',
  scaleout: '7. Scale-out under kills',
};

const METHOD: Record<SectionName, string> = {
  throughput:
    'N valid Config NON_COMPLIANT events for distinct buckets (the shared fixture with the bucket replaced) are ' +
    "pre-loaded into moto's ingest queue; the real bridge (`SqsBridge` wired as `remediator ingest` wires it: " +
    'long poll, 10 messages per receive, the next receive while up to 4 batches settle, normalise, route, ' +
    'signal-with-start, deletes ten at a time with DeleteMessageBatch) drains them; the rate is events from SQS to ' +
    'accepted signal-with-start (and deleted). On the same server, the raw `client.workflow.start` rate of the same ' +
    'workflow type, input and search attributes with 40 starts in flight ' +
    "(the bridge's concurrency). **No worker runs in this section** (its task queues have no poller), so both measure " +
    'only what accepting a start costs the server, not the execution that would follow, and neither competes with a ' +
    'worker for the CPU. The raw starts run first, on the emptier server; the bridge last. The SQS-only line drains ' +
    'the same number of messages with receive 10 / DeleteMessageBatch and no Temporal call: it shows how much of ' +
    "the bridge's time is moto's.",
  latency:
    'Remediations paced at a fixed rate (open loop: a slow call never delays the next send), each a PutEvents on ' +
    "moto's EventBridge whose rule delivers to the ingest queue → the bridge (in the bench process) → the worker, a " +
    'separate process (`remediator worker`) with real activities against moto, through a counting proxy that also ' +
    'answers `StartConfigRulesEvaluation` (missing in moto) as AWS does. The policy is the product default: ' +
    'verification reads the fix back for up to 60 s and ends at the first read that passes (a 5 s cool-down so ' +
    'histories are complete). Latency = the server-recorded time of the ' +
    '`RemediationStatus = REMEDIATED` upsert in the history minus the wall-clock time just before the PutEvents call ' +
    '(same machine, same clock). Histories are read after the run: measuring adds only one visibility count a second ' +
    'while it runs. **Floor**: the same path and rate with a no-op workflow of the same shape (same signal, the same ' +
    'three activities in the same order, the same outcome upsert and cool-down timer; activities do nothing) on its own ' +
    'worker process, registered under the same type name on another task queue so the unchanged bridge starts it; ' +
    'then, in a phase of their own at the same rate, the AWS calls of the S3 path (HeadBucket, GetPublicAccessBlock, ' +
    'GetBucketTagging, GetPublicAccessBlock, PutPublicAccessBlock, GetPublicAccessBlock, ' +
    'StartConfigRulesEvaluation, SNS Publish ‖ S3 PutObject) are made directly through the same proxy, in order, and ' +
    'timed. floor_i = no-op_i + calls_i, paired in send order (each part measured alone, so moto serving one does ' +
    'not inflate the other). The admission read of the ' +
    "control workflow (DescribeWorkflowExecution) is part of the product's path, not of the floor. Warm-up executions " +
    'precede each measured run. **Per playbook**: after the S3 phase, on the same worker and at the same rate, every ' +
    'kit playbook whose conformance setup (test/conformance/setups) can make resources of its own and whose ' +
    "verification reads only what its steps set: each resource's event fixture (examples/events) pointed at it, the " +
    'playbooks interleaved.',
  storm:
    "Every resource's event ten times, shuffled, put on EventBridge in PutEvents calls of 10 entries (4 in flight) " +
    'while the bridge and the worker run; the product default cool-down (15 min) keeps each execution open to absorb ' +
    'repeats; propagation wait 0. Applied changes are the successful PutPublicAccessBlock calls counted per bucket at ' +
    'the proxy between the worker and moto (every bucket starts without a block, and the step reads before it writes, ' +
    "so each is a change); moto's state is read afterwards. The breaker limit is set to twice the resources, then to " +
    'a tenth of them. Executions = every run of the remediation workflow type.',
  cost:
    "Temporal Cloud billable actions counted by `bench/lib/billable-actions.ts` (Temporal's published rules) from " +
    'histories captured from real runs (`test/replay/histories/*.json`, not the `before-*` ones; ' +
    '`scripts/capture-histories.ts`) and, for the S3 path, from the live histories of the latency section. Each ' +
    'remediation whose admission had to count (a breaker or flap limit) or found a pause or exemption costs one ' +
    'accepted update (`admit`) on the control workflow `remediation-control/<taskQueue>`, counted here as "admission ' +
    'update" from the admission result in the history (`asked: update`); one that read the published controls ' +
    '(`asked: published`, a DescribeWorkflowExecution) costs none.',
  memory:
    "The worker process's VmRSS (/proc/<pid>/status; median of three samples a second apart, 5 s after the last " +
    'execution opened). Events are put straight on the ingest queue and delivered by the bridge in the bench process. ' +
    '**Per cached execution** (first, on the fresh server): three worker processes in turn, each caching every ' +
    "execution it runs (`WORKER_MAX_CACHED_WORKFLOWS` = N + 100) with Node's default heap limit: N remediations in " +
    'their cool-down (one hour), N awaiting approval, and N executions of the no-op workflow of the same shape ' +
    '(bench/floor/workflows.ts: the same signal, update and query handlers, the cool-down timer; activities do ' +
    'nothing) in theirs, each set sent at the same 10 events/s; per execution = (RSS with the N open − RSS idle) ÷ N, ' +
    'so it counts the garbage the runs left in the heap as well as what the cache holds. **Bounded cache**: then M ' +
    "executions on one `remediator worker` with the product's default cache and the container image's " +
    '`NODE_OPTIONS` (its heap bound, read from the Dockerfile), half remediated and in cool-down, half awaiting ' +
    'approval (a per-control `approve`), opened interleaved as fast as they go (at most 300 queued: moto walks every ' +
    'stored message on each receive), RSS sampled every second; then a repeat of the finding that opened each of the ' +
    'earliest executions of the cool-down half (evicted: the cache keeps the most recently used) is signalled, one ' +
    'every 100 ms, and timed from just before the signal to the WorkflowTaskCompleted that handled it (server time, ' +
    'same machine); then the same signals to the same executions, now cached. Cache misses, size and forced ' +
    "evictions come from the SDK's Prometheus metrics (`METRICS_PORT`).",
  metrics:
    "The worker process's CPU (user + system of /proc/<pid>/stat) per remediation with metrics off and on " +
    '(docs/dashboards.md): off = every metrics variable unset; on = `METRICS_PORT` (Prometheus served by the Temporal ' +
    'runtime) and `METRICS_EMF=true` (EMF lines on stdout, read and counted by the bench so the pipe never fills), ' +
    'with `/metrics` scraped every second during the measured phase (a Prometheus scrapes every 15 s or so: this is ' +
    'the pessimistic case). Runs alternate off, on, off, on…, each on a fresh stack (dev server, moto, proxy, bridge) ' +
    'with a fresh worker process: warm-up remediations, then N public-bucket Config events paced through ' +
    'EventBridge → the ingest queue → the bridge (in the bench process, so not measured) → the worker (real activities ' +
    "against moto, the latency section's " +
    'policy: propagation wait 0, 5 s cool-down) until every execution completed. CPU is sampled just before the first ' +
    'measured send and once all executions completed. A run counts only if its exports count every remediation.',
  scaleout:
    "Section 3's storm (every resource's public-read event ten times, shuffled) put straight on the ingest queue in " +
    "SendMessageBatch calls of ten, 4 in flight (moto's EventBridge takes minutes per 10,000), while `remediator " +
    'ingest` and `remediator worker` processes (the product default policy: 15 min cool-down, 60 s verification ' +
    'window ending at the first read that passes) drain it on one server: first 1 worker and 1 bridge, then 3 workers ' +
    'and 2 bridges with a worker chosen at random (seeded) SIGKILLed and started again every 15 s and one bridge ' +
    'SIGKILLed and started again at the first worker kill. Each run on a fresh stack, in the same invocation. Drain = ' +
    'the first send → the queue empty (visible and in flight) and every resource at `RemediationStatus = REMEDIATED`. ' +
    'Applied changes are the successful PutPublicAccessBlock calls per bucket at the proxy between the workers and ' +
    'moto (every bucket starts without a block and the step reads before it writes, so each is a change); executions ' +
    'are every run of the remediation workflow type.',
};

const REPRODUCE: Record<SectionName, string> = {
  throughput: 'npm run bench -- --only throughput',
  latency: 'npm run bench -- --only latency',
  storm: 'npm run bench -- --only storm',
  cost: 'npm run bench -- --only cost',
  memory: 'npm run bench -- --only memory',
  metrics: 'npm run bench -- --only metrics',
  scaleout: 'npm run bench -- --only scaleout',
};

function render<K extends SectionName>(name: K, data: SectionDataMap[K]): string {
  switch (name) {
    case 'throughput':
      return renderThroughput(data as ThroughputData);
    case 'latency':
      return renderLatency(data as LatencyData);
    case 'storm':
      return renderStorm(data as StormData);
    case 'cost':
      return renderCost(data as CostData);
    case 'memory':
      return renderMemory(data as MemoryData);
    case 'scaleout':
      return renderScaleOut(data as ScaleOutData);
    default:
      return renderMetrics(data as MetricsData);
  }
}

/** One line per section: its main figures against their targets. */
export function headline(name: SectionName, record: SectionRecord): string {
  if (record.error || !record.data) return `failed: ${record.error ?? 'no data'}`;
  switch (name) {
    case 'throughput': {
      const d = record.data as ThroughputData;
      return `bridge ${d.bridge.perSecond}/s, raw start ${d.rawStart.perSecond}/s, ratio ${d.ratio ?? 'n/a'} (target ≥ ${d.target})`;
    }
    case 'latency': {
      const d = record.data as LatencyData;
      const mttr = d.mttrTarget
        ? `; MTTR target p50 ≤ ${d.mttrTarget.p50}, p99 ≤ ${d.mttrTarget.p99} at ${d.ratePerSecond}/s: ${d.remediation.p50 <= d.mttrTarget.p50 && d.remediation.p99 <= d.mttrTarget.p99 ? 'meets' : 'misses'}`
        : '';
      return `S3 p50/p95/p99 ${Math.round(d.remediation.p50)}/${Math.round(d.remediation.p95)}/${Math.round(d.remediation.p99)} ms${mttr}; floor p99 ${Math.round(d.floor.total.p99)} ms; ratio ${d.ratioP99 ?? 'n/a'} (target ≤ ${d.target})`;
    }
    case 'storm': {
      const d = record.data as StormData;
      return `${d.above.appliedChanges} changes for ${d.above.resources} resources (${d.above.bucketsChangedTwice} twice), drained in ${d.above.drainSeconds} s; breaker below: ${d.below.statuses.REMEDIATED ?? 0} remediated, ${d.below.statuses.AWAITING_APPROVAL ?? 0} awaiting approval, ${d.below.oncallPages} pages`;
    }
    case 'cost': {
      const d = record.data as CostData;
      const live = d.live ? `; live: ${d.live.actions.p50}` : '';
      return `S3 success path ${d.rows[0]?.actions ?? 'n/a'} actions per remediation (target ≤ ${d.s3Target})${live}`;
    }
    case 'memory': {
      return memoryHeadline(record.data as MemoryData);
    }
    case 'scaleout':
      return scaleOutHeadline(record.data as ScaleOutData);
    default:
      return metricsHeadline(record.data as MetricsData);
  }
}

const machineLine = (m: MachineFacts): string =>
  `${m.cpuCount} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, ${m.kernel}, load ${m.loadAverage1m} at start`;

/** Writes the page, formatted by the repository's Prettier settings (so `prettier --check` passes). */
export async function writeMarkdown(path: string, results: Results): Promise<void> {
  const config = (await resolveConfig(path)) ?? {};
  writeFileSync(path, await format(renderMarkdown(results), { ...config, parser: 'markdown' }));
}

/** Renders docs/benchmarks.md. */
export function renderMarkdown(results: Results): string {
  const present = SECTION_NAMES.filter((n) => results.sections[n]);
  const smoke = present.filter((n) => (results.sections[n]?.scale ?? 1) < 1);
  const out: string[] = [
    '# Benchmarks',
    '',
    '<!-- Generated by `npm run bench` from bench/results/latest.json; edit bench/lib/report.ts, not this file. -->',
    '',
    'Measured against the real local stack: the Temporal CLI dev server (v1.5.1, in-memory SQLite, with the eight ' +
      'search attributes), moto as AWS, the ingest bridge and the worker process. Every figure comes from ' +
      '`npm run bench`; each section below names the date, the machine and the exact command of its figures, and ' +
      'bench/results/latest.json holds the raw numbers. Figures from a dev server and moto on one machine show the ' +
      "product's own overhead against a floor measured the same way; they are not Temporal Cloud or AWS latencies. " +
      "moto's EventBridge compiles eight JSONPath expressions for every event it delivers (together ~0.1–0.15 s of " +
      "CPU per event, so it alone could not deliver 20 events/s), and moto's SQS recomputes every queue attribute " +
      'over every stored message for each message it hands out (a 10-message receive: 58 ms with 100 queued, 1.1 s ' +
      'with 2,000). The bench starts moto with that parse memoised and the retention check reading the one attribute ' +
      'it needs (bench/lib/moto-fast.ts, same results; `--moto-as-is` turns both off).',
    '',
  ];
  if (smoke.length > 0) {
    out.push(
      `> **Smoke scale**: ${smoke.map((n) => `${n} (×${results.sections[n]?.scale})`).join(', ')} ran below full ` +
        'size, possibly on a busy machine: those figures prove the harness end to end, they are not the benchmark. ' +
        'Re-run them at full size on a quiet machine.',
      '',
    );
  }
  out.push(
    '## Running it',
    '',
    '```bash',
    'bash scripts/ensure-temporal.sh     # the Temporal CLI (cached under ~/.cache/remediator)',
    'bash scripts/ensure-moto.sh         # moto_server',
    'npm run build                       # the worker runs as `node dist/src/cli.js worker`',
    'npm run bench                       # every section at full size; progress on stderr',
    'npm run bench -- --only latency,cost --scale 0.1   # some sections, smaller',
    '```',
    '',
    '`--only` takes any of `throughput,latency,storm,cost,memory,metrics,scaleout`; `--scale` multiplies every count (events, ' +
      'remediations, resources, executions); `--runner tsx` runs the worker from the TypeScript sources instead of ' +
      "dist/ (no build needed); `--rate` sets the latency section's events per second (default 5); `--moto-as-is` " +
      'runs moto without its two fixes; `--render-only` rewrites this page from the results JSON (`--results`, ' +
      '`--doc` choose other files). TEMPORAL_CLI_PATH and MOTO_SERVER_PATH override where the ' +
      'servers are. Each section starts its own dev server and moto and stops them (and every process it started) ' +
      'when it ends, fails, or on Ctrl-C. Logs of the worker and bridge (and one sample history per latency phase) go ' +
      'to bench/results/logs/.',
    '',
    '| section | command | runs | expected at full size |',
    '| --- | --- | --- | ---: |',
    '| 1. throughput | `npm run bench -- --only throughput` | 2,000 raw starts, 2,000 raw signal-with-starts, 2,000 SQS-only, 2,000 through the bridge; no worker | ~2 min |',
    '| 2. latency | `npm run bench -- --only latency` | 500 S3 remediations at 5/s, 20 of each other measurable playbook, 500 no-op, 500 direct call sequences; worker process, floor worker process | ~9 min |',
    "| 3. storm | `npm run bench -- --only storm` | 2 × 10,000 events for 1,000 buckets (breaker above, then below); worker process | ~25–30 min (moto's EventBridge takes 10,000 events in 6–15 min) |",
    '| 4. cost | `npm run bench -- --only cost` | committed histories; live S3 histories from section 2 when it runs in the same invocation, else 20 live remediations | ~10 s (~1 min alone) |',
    '| 5. memory | `npm run bench -- --only memory` | 3 × 1,000 cached executions (cool-down, approval, no-op), then 10,000 on the default cache and 2 × 100 signals; worker processes | ~25–30 min |',
    '| 6. metrics | `npm run bench -- --only metrics` | 3 × (200 remediations with metrics off, then 200 with them on) at 5/s, each run on a fresh stack and worker process | ~7–8 min |',
    '| 7. scaleout | `npm run bench -- --only scaleout` | 2 × 10,000 events for 1,000 buckets straight to SQS: 1 worker and 1 bridge, then 3 workers and 2 bridges under kills; worker and ingest processes | ~10 min |',
    '',
    'The full run (`npm run build && npm run bench`) takes about 80 minutes on two quiet cores; each section ' +
      'records its own duration below. Run it on a quiet machine: every figure is CPU-bound on two cores.',
    '',
    '## Summary',
    '',
    '| section | result | scale | date | duration |',
    '| --- | --- | ---: | --- | ---: |',
  );
  for (const name of present) {
    const r = results.sections[name] as SectionRecord;
    out.push(
      `| [${TITLES[name]}](#${TITLES[name]
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .replace(
          / /g,
          '-',
        )}) | ${headline(name, r)} | ×${r.scale} | ${r.date.slice(0, 16).replace('T', ' ')} UTC | ${Math.round(r.durationSeconds)} s |`,
    );
  }
  for (const name of SECTION_NAMES) {
    const r = results.sections[name] as SectionRecord | undefined;
    out.push('', `## ${TITLES[name]}`, '');
    if (!r) {
      out.push(`Not measured yet: \`${REPRODUCE[name]}\`.`);
      continue;
    }
    out.push(
      `**How**: ${METHOD[name]}`,
      '',
      `**Measured** ${r.date} on ${machineLine(r.machine)}, worker runner \`${r.runner}\`, moto ${r.moto ?? 'as is'}, scale ×${r.scale}, ` +
        `${Math.round(r.durationSeconds)} s. **Reproduce**: \`${r.command}\``,
      '',
      r.error || !r.data ? `**Failed**: ${r.error ?? 'no data'}` : render(name, r.data as never),
    );
  }
  return `${out.join('\n')}\n`;
}
