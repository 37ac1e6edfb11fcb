/**
 * The benchmark's local stack, one per section so sections never share state: the Temporal CLI dev server with the
 * product's search attributes, moto with the product's resources (ingest queue and DLQ behind the EventBridge rule,
 * topics with inboxes, audit bucket), optionally the counting proxy in front of moto, and what runs on them: the
 * ingest bridge (in this process, wired exactly as `remediator ingest` wires it) and workers (separate processes:
 * `remediator worker` from dist/ or through tsx, and the floor's no-op worker).
 */
import { existsSync, mkdirSync, statSync, writeFileSync, createWriteStream, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { AwsClients } from '../../src/aws/clients';
import { resolveTrust } from '../../src/domain/policy';
import type { RemediationPolicy } from '../../src/domain/policy';
import { createLocalResources } from '../../src/devstack/local-resources';
import type { LocalResources } from '../../src/devstack/local-resources';
import { startMoto } from '../../src/devstack/moto-server';
import type { MotoServer } from '../../src/devstack/moto-server';
import { startTemporalDevServer } from '../../src/devstack/temporal-dev-server';
import type { TemporalDevServer } from '../../src/devstack/temporal-dev-server';
import { ConfigRuleResolver, configFindingEnricher } from '../../src/ingest/config-rule-resolver';
import { FindingDispatcher } from '../../src/ingest/dispatcher';
import { createMessageHandler } from '../../src/ingest/message-handler';
import { SqsBridge } from '../../src/ingest/sqs-bridge';
import type { BridgeStats } from '../../src/ingest/sqs-bridge';
import type { Logger } from '../../src/logger';
import { parsePolicy } from '../../src/policy/load-policy';
import { policyVersion, trustSettings } from '../../src/policy/worker-policy';
import { checkReachable } from '../../src/temporal/connection';
import { onCleanup, spawnChild } from './children';
import type { Child } from './children';
import { startAwsProxy } from './aws-proxy';
import { fastMotoCommand } from './moto-fast';
import type { AwsProxy } from './aws-proxy';
import { ACCOUNT, REGION } from './events';
import { progress } from './progress';
import { hasPollers, waitUntil } from './temporal';
import { localStackPolicy } from '../../src/devstack/local-policy';

/** How the run was asked to work; shared by every section. */
export interface BenchContext {
  /** The project root (where package.json is). */
  readonly root: string;
  /** `dist`: `node dist/src/cli.js worker` (after `npm run build`); `tsx`: `node --import tsx src/cli.ts worker`. */
  readonly runner: 'dist' | 'tsx';
  readonly scale: number;
  readonly logDir: string;
  readonly tmpDir: string;
  readonly temporalCliPath: string;
  readonly motoServerPath: string;
  /** Run moto unchanged (without the memoised JSONPath parse of bench/lib/moto-fast.ts). */
  readonly motoAsIs: boolean;
}

/** `base × scale`, at least `min`. */
export function scaled(ctx: BenchContext, base: number, min = 10): number {
  return Math.max(min, Math.round(base * ctx.scale));
}

const CREDENTIALS = async () => ({ accessKeyId: 'bench', secretAccessKey: 'bench' });

/** The ingest bridge running in this process. */
export interface BenchBridge {
  readonly stats: BridgeStats;
  /** Messages settled (delivered, acknowledged or dead-lettered). */
  settled(): number;
  /** Stops: lets the long poll in flight return, settles what it brought, and resolves once all is settled. */
  stop(): Promise<void>;
}

/** A worker process under test. */
export interface WorkerProcess {
  readonly child: Child;
  readonly taskQueue: string;
  stop(): Promise<void>;
}

/** A running stack. */
export interface BenchStack {
  readonly section: string;
  readonly temporal: TemporalDevServer;
  readonly moto: MotoServer;
  readonly resources: LocalResources;
  readonly client: Client;
  /** Clients straight to moto (arranging, asserting, sending events). */
  readonly aws: AwsClients;
  readonly events: EventBridgeClient;
  /** The counting proxy (when asked for); the worker's AWS endpoint then. */
  readonly proxy?: AwsProxy;
  /** Where the worker's AWS calls go: the proxy, or moto. */
  readonly workerAwsEndpoint: string;
  /** Where logs (and sample histories) of this run go. */
  readonly logDir: string;
  /** Writes a policy file (validated by the product's own parser); returns its path. */
  writePolicy(name: string, policy: RemediationPolicy): string;
  /**
   * Starts the bridge (long poll `waitTimeSeconds`, default 20 as in `remediator ingest`). Stopping it waits for
   * the long poll in flight to return (as `remediator ingest` does), so no message is left invisible for the next
   * consumer.
   */
  startBridge(options: {
    taskQueue: string;
    policy: RemediationPolicy;
    name?: string;
    waitTimeSeconds?: number;
  }): BenchBridge;
  /** Starts `remediator worker`; `env` is added last (a section's own settings, such as the metrics variables). */
  startWorker(options: {
    taskQueue: string;
    policyPath: string;
    name?: string;
    env?: Readonly<Record<string, string>>;
  }): Promise<WorkerProcess>;
  /**
   * Starts `remediator ingest` as a process of its own (a bridge that can be SIGKILLed) on the ingest queue, with a 1 s
   * long poll; resolves once it logged that it started.
   */
  startIngestProcess(options: { taskQueue: string; policyPath: string; name: string }): Promise<Child>;
  /** The floor's worker, holding the policy at `policyPath` as `remediator worker` would (its cool-down and wait). */
  startFloorWorker(options: {
    taskQueue: string;
    policyPath: string;
    env?: Readonly<Record<string, string>>;
  }): Promise<WorkerProcess>;
  stop(): Promise<void>;
}

/** A logger writing the product's JSON lines to a file (the bridge logs every message, as in production). */
function fileLogger(path: string, component: string): Logger & { close(): void } {
  const out = createWriteStream(path, { flags: 'w' });
  const write = (level: string, message: string, fields: Record<string, unknown> = {}): void => {
    out.write(
      `${JSON.stringify({ time: new Date().toISOString(), level, component, message, ...fields })}\n`,
    );
  };
  return {
    debug: () => undefined,
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    close: () => out.end(),
  };
}

const bundles = new Map<string, Promise<string>>();

/** Bundles workflow code once per run (the image ships a prebuilt bundle too), returns the file. */
function workflowBundle(ctx: BenchContext, kind: 'remediator' | 'floor'): Promise<string> {
  const key = `${kind}/${ctx.runner}`;
  let pending = bundles.get(key);
  if (!pending) {
    const workflowsPath =
      kind === 'floor'
        ? join(ctx.root, 'bench/floor/workflows.ts')
        : ctx.runner === 'dist'
          ? join(ctx.root, 'dist/src/workflows/index.js')
          : join(ctx.root, 'src/workflows/index.ts');
    pending = (async () => {
      progress(`bundling ${kind} workflow code (${workflowsPath})`);
      const { code } = await bundleWorkflowCode({
        workflowsPath,
        // As the product bundles (WORKFLOW_PRELOAD_MODULES): the workflow code shared by every cached execution.
        preloadModules: [workflowsPath],
        logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
      });
      const file = join(ctx.tmpDir, `${kind}-${ctx.runner}-workflow-bundle.js`);
      writeFileSync(file, code);
      return file;
    })();
    bundles.set(key, pending);
  }
  return pending;
}

/** Newest modification time under a directory (ms), for the staleness check of dist/. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Checks that the chosen runner can start the product; warns when dist/ is older than src/. */
export function checkRunner(ctx: BenchContext): void {
  if (ctx.runner !== 'dist') return;
  const cli = join(ctx.root, 'dist/src/cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run 'npm run build' first (or use --runner tsx)`);
  if (newestMtime(join(ctx.root, 'src')) > statSync(cli).mtimeMs) {
    progress('WARNING: src/ is newer than dist/: run `npm run build` so the worker runs the current code');
  }
}

/** The command line that runs `remediator <args>` with the chosen runner. */
function remediatorCommand(ctx: BenchContext, args: string[]): { command: string; args: string[] } {
  return ctx.runner === 'dist'
    ? { command: process.execPath, args: [join(ctx.root, 'dist/src/cli.js'), ...args] }
    : { command: process.execPath, args: ['--import', 'tsx', join(ctx.root, 'src/cli.ts'), ...args] };
}

/** Starts a section's stack; `proxy` puts the counting proxy between the worker and moto. */
export async function startStack(
  ctx: BenchContext,
  section: string,
  options: { proxy?: boolean } = {},
): Promise<BenchStack> {
  mkdirSync(ctx.logDir, { recursive: true });
  mkdirSync(ctx.tmpDir, { recursive: true });
  progress(`${section}: starting the Temporal dev server and moto`);
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  const unregister = onCleanup(`${section} stack`, stopAll);
  const [temporalStart, motoStart] = await Promise.allSettled([
    startTemporalDevServer({ binary: ctx.temporalCliPath, headless: true }),
    startMoto(ctx.motoAsIs ? ctx.motoServerPath : fastMotoCommand(ctx.motoServerPath, ctx.tmpDir)),
  ]);
  if (temporalStart.status === 'fulfilled') stops.push(() => temporalStart.value.stop());
  if (motoStart.status === 'fulfilled') stops.push(() => motoStart.value.stop());
  if (temporalStart.status === 'rejected' || motoStart.status === 'rejected') {
    unregister();
    await stopAll();
    throw temporalStart.status === 'rejected'
      ? temporalStart.reason
      : (motoStart as PromiseRejectedResult).reason;
  }
  const temporal = temporalStart.value;
  const moto = motoStart.value;
  const aws = new AwsClients({ endpoint: moto.endpoint, credentials: CREDENTIALS, maxAttempts: 3 });
  const events = new EventBridgeClient({ region: REGION, endpoint: moto.endpoint, credentials: CREDENTIALS });
  stops.push(async () => {
    aws.destroy();
    events.destroy();
  });
  const resources = await createLocalResources(
    { sqs: aws.sqs(REGION), sns: aws.sns(REGION), s3: aws.s3('self', REGION), events },
    'remediator',
  );
  const connection = await Connection.connect({ address: temporal.address });
  stops.push(() => connection.close());
  const client = new Client({ connection, namespace: temporal.namespace });
  const proxy = options.proxy ? await startAwsProxy(moto.endpoint) : undefined;
  if (proxy) stops.push(() => proxy.stop());
  const workerAwsEndpoint = proxy?.endpoint ?? moto.endpoint;
  progress(
    `${section}: Temporal ${temporal.address}, moto ${moto.endpoint}${proxy ? `, proxy ${proxy.endpoint}` : ''}`,
  );

  const workerEnv = (taskQueue: string): Record<string, string> => ({
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    AWS_ENDPOINT_URL: workerAwsEndpoint,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    NOTIFY_TOPIC_ARN: resources.notifyTopicArn,
    ONCALL_TOPIC_ARN: resources.oncallTopicArn,
    AUDIT_BUCKET: resources.auditBucket,
  });

  const waitForWorker = async (child: Child, taskQueue: string): Promise<void> => {
    let exited: number | null | undefined;
    void child.exited.then((code) => {
      exited = code;
    });
    await waitUntil(
      `${child.name} polling ${taskQueue}`,
      async () => {
        if (exited !== undefined) throw new Error(`${child.name} exited (${exited}):\n${child.tail()}`);
        return hasPollers(client, taskQueue);
      },
      180_000,
      250,
    );
  };

  const stack: BenchStack = {
    section,
    temporal,
    moto,
    resources,
    client,
    aws,
    events,
    ...(proxy ? { proxy } : {}),
    workerAwsEndpoint,
    logDir: ctx.logDir,
    writePolicy(name, policy) {
      // The emulator's trust (as the local stack's): moto cannot confirm findings at the source.
      const valid = parsePolicy(JSON.parse(JSON.stringify(localStackPolicy(policy))), `bench policy ${name}`);
      const path = join(ctx.tmpDir, `${section}-${name}-policy.json`);
      writeFileSync(path, `${JSON.stringify(valid, null, 2)}\n`);
      return path;
    },
    startBridge({ taskQueue, policy, name = 'ingest', waitTimeSeconds = 20 }) {
      const logger = fileLogger(join(ctx.logDir, `${section}-${name}.log`), 'ingest');
      const sqs = aws.sqs(REGION);
      const bridge = new SqsBridge({
        sqs,
        queueUrl: resources.ingestQueueUrl,
        deadLetterQueueUrl: resources.deadLetterQueueUrl,
        handleMessage: createMessageHandler({
          policy,
          dispatcher: new FindingDispatcher(client, taskQueue, policyVersion(policy)),
          // `self` is moto's account, as its STS would answer `remediator ingest`; the events are that account's.
          trust: resolveTrust(trustSettings(policy), ACCOUNT),
          // moto's EventBridge delivers events to SQS without `account` (src/devstack/local-bridge.ts does the same).
          emulatorEnvelopeAccount: ACCOUNT,
          enrich: configFindingEnricher(new ConfigRuleResolver(aws, logger)),
        }),
        checkTemporal: () => checkReachable(client),
        logger,
        // `remediator ingest` defaults: a 20 s long poll, 10 messages per receive.
        waitTimeSeconds,
        maxMessages: 10,
      });
      const abort = new AbortController();
      const running = bridge.run(abort.signal);
      let stopped: Promise<void> | undefined;
      const stop = (): Promise<void> =>
        (stopped ??= (async () => {
          abort.abort();
          await running;
          logger.close();
        })());
      stops.push(stop);
      return {
        stats: bridge.stats,
        settled: () => bridge.stats.delivered + bridge.stats.acknowledged + bridge.stats.deadLettered,
        stop,
      };
    },
    async startWorker({ taskQueue, policyPath, name = 'worker', env = {} }) {
      const bundle = await workflowBundle(ctx, 'remediator');
      const { command, args } = remediatorCommand(ctx, ['worker']);
      const child = spawnChild(
        `${section} ${name}`,
        command,
        args,
        { ...workerEnv(taskQueue), REMEDIATION_POLICY: policyPath, WORKFLOW_BUNDLE_PATH: bundle, ...env },
        join(ctx.logDir, `${section}-${name}.log`),
      );
      await waitForWorker(child, taskQueue);
      progress(`${section}: ${name} (pid ${child.pid}, ${ctx.runner}) polls ${taskQueue}`);
      stops.push(() => child.stop());
      return { child, taskQueue, stop: () => child.stop() };
    },
    async startIngestProcess({ taskQueue, policyPath, name }) {
      const { command, args } = remediatorCommand(ctx, ['ingest']);
      const child = spawnChild(
        `${section} ${name}`,
        command,
        args,
        {
          ...workerEnv(taskQueue),
          // The bridge's own calls (SQS, Config rule lookups) go to moto, not through the worker's proxy.
          AWS_ENDPOINT_URL: moto.endpoint,
          REMEDIATION_POLICY: policyPath,
          INGEST_QUEUE_URL: resources.ingestQueueUrl,
          INGEST_DLQ_URL: resources.deadLetterQueueUrl,
          INGEST_WAIT_TIME_SECONDS: '1',
        },
        join(ctx.logDir, `${section}-${name}.log`),
      );
      let exited: number | null | undefined;
      void child.exited.then((code) => {
        exited = code;
      });
      await waitUntil(
        `${child.name} to start`,
        async () => {
          if (exited !== undefined) throw new Error(`${child.name} exited (${exited}):\n${child.tail()}`);
          return child.tail().includes('"Ingest bridge started"');
        },
        60_000,
        100,
      );
      stops.push(() => child.stop());
      return child;
    },
    async startFloorWorker({ taskQueue, policyPath, env = {} }) {
      const bundle = await workflowBundle(ctx, 'floor');
      const child = spawnChild(
        `${section} floor-worker`,
        process.execPath,
        ['--import', 'tsx', join(ctx.root, 'bench/floor/worker.ts')],
        { ...workerEnv(taskQueue), REMEDIATION_POLICY: policyPath, WORKFLOW_BUNDLE_PATH: bundle, ...env },
        join(ctx.logDir, `${section}-floor-worker.log`),
      );
      await waitForWorker(child, taskQueue);
      progress(`${section}: floor worker (pid ${child.pid}) polls ${taskQueue}`);
      stops.push(() => child.stop());
      return { child, taskQueue, stop: () => child.stop() };
    },
    async stop() {
      unregister();
      await stopAll();
      progress(`${section}: stack stopped`);
    },
  };
  return stack;
}
