/**
 * `npm run bench [-- --only throughput,latency,storm,cost,memory,metrics,scaleout] [--scale 1] [--runner dist|tsx] [--rate 5]`:
 * the benchmark against the real local stack. Writes bench/results/latest.json and docs/benchmarks.md after each
 * section; progress goes to stderr. Every process it starts is stopped when it ends, fails, or on Ctrl-C.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadDevStackConfig } from '../src/config';
import { cleanupAll, killChildrenSync } from './lib/children';
import { machineFacts } from './lib/machine';
import { progress } from './lib/progress';
import { headline, readResults, SECTION_NAMES, writeMarkdown, writeResults } from './lib/report';
import type { SectionName, SectionRecord } from './lib/report';
import { checkRunner } from './lib/stack';
import type { BenchContext } from './lib/stack';
import { runCost } from './sections/cost';
import { DEFAULT_LATENCY_RATE, latencyBefore, runLatency } from './sections/latency';
import type { LatencyData } from './sections/latency';
import { runMemory } from './sections/memory';
import { runMetrics } from './sections/metrics';
import { runScaleOut } from './sections/scaleout';
import { runStorm } from './sections/storm';
import { runThroughput } from './sections/throughput';

const ROOT = resolve(__dirname, '..');
/** Scratch files of this run (workflow bundles, policy files); removed on exit. */
const SCRATCH = mkdtempSync(join(tmpdir(), 'remediator-bench-'));

function sectionList(value: string): SectionName[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(SECTION_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) {
    throw new InvalidArgumentError(`sections are ${SECTION_NAMES.join(', ')}; got '${value}'`);
  }
  return SECTION_NAMES.filter((n) => names.includes(n));
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

interface Options {
  only: SectionName[];
  scale: number;
  runner: 'dist' | 'tsx';
  rate: number;
  motoAsIs: boolean;
  results: string;
  doc: string;
  renderOnly: boolean;
}

function parse(argv: string[]): Options {
  return new Command()
    .name('npm run bench --')
    .description('Benchmarks remediator against the local stack (Temporal dev server, moto, bridge, worker).')
    .option('--only <sections>', `comma-separated: ${SECTION_NAMES.join(',')}`, sectionList, [
      ...SECTION_NAMES,
    ])
    .option('--scale <factor>', 'multiply every count (0.05 for a smoke run)', positive, 1)
    .addOption(
      new Option('--runner <runner>', 'how the worker process runs: dist/ (after npm run build) or tsx')
        .choices(['dist', 'tsx'])
        .default('dist'),
    )
    .option('--rate <perSecond>', 'events per second of the latency section', positive, DEFAULT_LATENCY_RATE)
    .option(
      '--moto-as-is',
      'run moto unchanged (it then spends ~0.1 s of CPU per EventBridge delivery)',
      false,
    )
    .option('--results <file>', 'results JSON', join(ROOT, 'bench/results/latest.json'))
    .option('--doc <file>', 'markdown page', join(ROOT, 'docs/benchmarks.md'))
    .option('--render-only', 'run nothing: write the markdown page again from the results JSON', false)
    .parse(argv, { from: 'user' })
    .opts<Options>();
}

function commandLine(argv: string[], runner: string): string {
  const quoted = argv.map((a) => (/^[\w.,=/-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`));
  const bench = quoted.length > 0 ? `npm run bench -- ${quoted.join(' ')}` : 'npm run bench';
  return runner === 'dist' ? `npm run build && ${bench}` : bench;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const options = parse(argv);
  if (options.renderOnly) {
    await writeMarkdown(options.doc, readResults(options.results));
    progress(`wrote ${options.doc} from ${options.results}`);
    return;
  }
  const devstack = loadDevStackConfig();
  const ctx: BenchContext = {
    root: ROOT,
    runner: options.runner,
    scale: options.scale,
    logDir: join(ROOT, 'bench/results/logs'),
    tmpDir: SCRATCH,
    temporalCliPath: devstack.temporalCliPath,
    motoServerPath: devstack.motoServerPath,
    motoAsIs: options.motoAsIs,
  };
  if (!existsSync(ctx.temporalCliPath)) {
    throw new Error(
      `Temporal CLI not found at ${ctx.temporalCliPath}: run 'bash scripts/ensure-temporal.sh'`,
    );
  }
  checkRunner(ctx);
  const results = readResults(options.results);
  const command = commandLine(argv, options.runner);
  progress(`sections ${options.only.join(', ')} at scale ×${options.scale}, worker runner ${options.runner}`);
  let latency: LatencyData | undefined;
  let failed = false;
  for (const name of options.only) {
    const started = Date.now();
    const base = {
      date: new Date(started).toISOString(),
      scale: options.scale,
      runner: options.runner,
      moto: options.motoAsIs ? 'as is' : 'JSONPath parse memoised, SQS retention check O(1)',
      command,
    };
    const machine = machineFacts();
    progress(`== ${name}`);
    let record: SectionRecord;
    try {
      let data: unknown;
      switch (name) {
        case 'throughput':
          data = await runThroughput(ctx);
          break;
        case 'latency':
          latency = await runLatency(ctx, options.rate, latencyBefore(results.sections.latency));
          data = latency;
          break;
        case 'storm':
          data = await runStorm(ctx);
          break;
        case 'cost':
          data = await runCost(ctx, latency);
          break;
        case 'memory':
          data = await runMemory(ctx);
          break;
        case 'metrics':
          data = await runMetrics(ctx);
          break;
        case 'scaleout':
          data = await runScaleOut(ctx);
          break;
      }
      record = { ...base, machine, durationSeconds: (Date.now() - started) / 1000, data };
      progress(`== ${name} done in ${Math.round((Date.now() - started) / 1000)} s`);
    } catch (err) {
      failed = true;
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      progress(`== ${name} FAILED: ${message}`);
      await cleanupAll();
      record = { ...base, machine, durationSeconds: (Date.now() - started) / 1000, error: String(err) };
    }
    (results.sections as Record<string, SectionRecord>)[name] = record;
    results.updatedAt = new Date().toISOString();
    writeResults(options.results, results);
    await writeMarkdown(options.doc, results);
    progress(`wrote ${options.results} and ${options.doc}`);
  }
  await cleanupAll();
  for (const name of options.only) {
    const record = results.sections[name] as SectionRecord | undefined;
    if (record) progress(`${name}: ${headline(name, record)}${options.scale < 1 ? ' (smoke scale)' : ''}`);
  }
  process.exitCode = failed ? 1 : 0;
}

let interrupted = false;
const interrupt = (signal: string): void => {
  if (interrupted) {
    killChildrenSync();
    process.exit(130);
  }
  interrupted = true;
  progress(`${signal}: stopping every process this run started`);
  void cleanupAll().finally(() => process.exit(130));
};
// A second Ctrl-C does not wait for the graceful stop: it kills the children at once.
process.on('SIGINT', () => interrupt('SIGINT'));
process.on('SIGTERM', () => interrupt('SIGTERM'));
process.on('exit', () => {
  killChildrenSync();
  rmSync(SCRATCH, { recursive: true, force: true });
});

main().catch(async (err: unknown) => {
  progress(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  await cleanupAll();
  process.exitCode = 1;
});
