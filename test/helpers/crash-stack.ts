/**
 * The stack for crash tests, with real processes that can be killed: the Temporal CLI dev server on a fixed port with
 * a database file (so it can be killed and started again), moto behind the fault proxy, and `remediator worker` /
 * `remediator ingest` spawned as operators run them (`node --import tsx src/cli.ts …`, so SIGKILL hits the process
 * itself). The proxy notes, before every mutating call on a target reaches moto, whether it would still change it, so
 * a test can count the changes applied in effect per resource.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
} from '@aws-sdk/client-ec2';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { PublicAccessBlockConfiguration } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import { policyWith } from './worker-policies';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { loadDevStackConfig } from '../../src/config';
import { createLocalResources } from '../../src/devstack/local-resources';
import type { LocalResources } from '../../src/devstack/local-resources';
import type { MotoServer } from '../../src/devstack/moto-server';
import { startTogether } from '../../src/devstack/processes';
import { startTemporalDevServer } from '../../src/devstack/temporal-dev-server';
import type { TemporalDevServer } from '../../src/devstack/temporal-dev-server';
import type { Finding } from '../../src/domain/finding';
import type { ExecutionSettings } from '../../src/domain/policy';
import type { RemediationResult } from '../../src/domain/remediation';
import { WORKFLOW_PRELOAD_MODULES, WORKFLOWS_PATH } from '../../src/worker';
import { startAwsFaultProxy } from './aws-fault-proxy';
import type { AwsCall, AwsFaultProxy } from './aws-fault-proxy';
import { createBucket, FIXTURE_ACCOUNT, FIXTURE_REGION, publicAccessBlockOf, rawClients } from './aws';
import { motoEc2 } from './ec2';
import { configFinding, fastSettings } from './fixtures';
import { startSuiteMoto } from './servers';

const CLI = join(__dirname, '../../src/cli.ts');

/** The seed of the random kill schedule: set FAULT_SEED to replay a failing one. */
export const SEED = Number(process.env.FAULT_SEED ?? 20261129);

/**
 * Settings of the crash tests' executions: no propagation wait, the production count of attempts (4) with a timeout
 * (20 s instead of 60 s) short enough that an attempt lost with a killed worker is retried soon, yet long enough for
 * the admission check of a burst of 100 remediations: every one waits for the single control workflow, which admits
 * ~10–20 per second on a busy 2-core machine, plus the ~10 s a killed worker's workflows wait for its sticky queue to
 * time out.
 */
export const CRASH_SETTINGS = fastSettings(
  {
    activityTimeoutMs: 20_000,
    retry: { initialIntervalMs: 200, backoffCoefficient: 2, maximumAttempts: 4, maximumIntervalMs: 1000 },
  },
  1500,
);

/** A seeded PRNG (mulberry32). */
export function seeded(seed: number): { next(): number; between(min: number, max: number): number } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, between: (min, max) => Math.floor(min + next() * (max - min)) };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `remediator <command>` as a child process that can be killed and started again. */
export class Remediator {
  starts = 0;
  kills = 0;
  readonly unexpectedExits: string[] = [];
  private child: ChildProcess | undefined;
  private tail = '';
  private partial = '';
  private counted = 0;
  private exiting = false;

  constructor(
    private readonly command: 'worker' | 'ingest',
    private readonly env: Record<string, string>,
    private readonly readyText: string,
    private readonly countText = '\u0000',
  ) {}

  /** Lines containing `countText` printed so far, over every start. */
  get count(): number {
    return this.counted;
  }

  get output(): string {
    return this.tail;
  }

  /** Starts the process; resolves with the ms it took to print `readyText`. */
  async start(timeoutMs = 60_000): Promise<number> {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, this.command], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exiting = false;
    this.starts += 1;
    let ready = false;
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString();
      this.tail = (this.tail + text).slice(-8000);
      const lines = (this.partial + text).split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.includes(this.countText)) this.counted += 1;
        if (line.includes(this.readyText)) ready = true;
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      if (!this.exiting)
        this.unexpectedExits.push(`${this.command} exited (${code ?? signal}):\n${this.tail}`);
    });
    while (!ready) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`remediator ${this.command} exited before it was ready:\n${this.tail}`);
      }
      if (Date.now() - started > timeoutMs)
        throw new Error(`remediator ${this.command} not ready:\n${this.tail}`);
      await sleep(50);
    }
    return Date.now() - started;
  }

  /** SIGKILL, as a crash: no shutdown code runs. */
  async kill9(): Promise<void> {
    this.kills += 1;
    await this.end('SIGKILL');
  }

  /** SIGTERM (graceful), SIGKILL after 10 s. */
  async stop(): Promise<void> {
    await this.end('SIGTERM');
  }

  private async end(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.exiting = true;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Starts the dev server on `port` with its state in `dbFile` (headless). */
function startDevServerOnFile(port: number | undefined, dbFile: string): Promise<TemporalDevServer> {
  return startTemporalDevServer({
    binary: loadDevStackConfig().temporalCliPath,
    ...(port !== undefined ? { port } : {}),
    headless: true,
    dbFile,
  });
}

/** Everything a crash test needs. */
export interface CrashStack {
  readonly dir: string;
  readonly address: string;
  readonly taskQueue: string;
  readonly moto: MotoServer;
  readonly raw: ReturnType<typeof rawClients>;
  readonly ec2: EC2Client;
  readonly resources: LocalResources;
  readonly proxy: AwsFaultProxy;
  readonly client: Client;
  /** The spawned `remediator worker` (started). */
  readonly worker: Remediator;
  /** Environment of `remediator worker` / `ingest` on this stack. */
  env(extra?: Record<string, string>): Record<string, string>;
  /** SIGKILLs the dev server, waits `downMs`, and starts it again on the same port and database file. */
  crashServer(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the stack and the worker on task queue `taskQueue`, with `settings` as the worker's policy and `workerEnv`
 * added to the worker's environment.
 */
export async function startCrashStack(
  taskQueue: string,
  settings: ExecutionSettings = CRASH_SETTINGS,
  workerEnv: Record<string, string> = {},
): Promise<CrashStack> {
  const dir = mkdtempSync(join(tmpdir(), 'crash-stack-'));
  const dbFile = join(dir, 'temporal.db');
  const bundlePath = join(dir, 'workflow-bundle.js');
  // The first start picks its port (again when another process takes it first); restarts reuse it.
  const [started, moto, bundle] = await startTogether([
    startDevServerOnFile(undefined, dbFile),
    startSuiteMoto(),
    bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      preloadModules: [...WORKFLOW_PRELOAD_MODULES],
      logger: new DefaultLogger('WARN'),
    }),
  ]);
  let server = started;
  const address = started.address;
  const port = Number(address.split(':').pop());
  // Restarted workers load the bundle instead of building it again.
  writeFileSync(bundlePath, bundle.code);
  const raw = rawClients(moto.endpoint);
  const ec2 = motoEc2(moto.endpoint);
  const resources = await createLocalResources(raw, `c${randomUUID().slice(0, 8)}`);
  const proxy = await startAwsFaultProxy(moto.endpoint);
  standInForMissingApis(proxy);
  proxy.addRule({
    service: 's3',
    action: 'PutPublicAccessBlock',
    before: async (call) => {
      const block = await publicAccessBlockOf(raw.s3, call.target ?? '').catch(() => null);
      return { effective: !isFullyBlocked(block) };
    },
  });
  proxy.addRule({
    service: 'ec2',
    action: 'RevokeSecurityGroupIngress',
    before: async (call) => ({ effective: (await worldOpenPorts(ec2, call.target ?? '')).includes(22) }),
  });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  // The worker's own policy: the crash settings (unless the test gives others), with the local stack's trust (the
  // worker takes no settings from its input).
  const policyPath = join(dir, 'policy.json');
  writeFileSync(policyPath, JSON.stringify(policyWith(settings)));
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: taskQueue,
    AWS_REGION: FIXTURE_REGION,
    AWS_ENDPOINT_URL: proxy.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    NOTIFY_TOPIC_ARN: resources.notifyTopicArn,
    ONCALL_TOPIC_ARN: resources.oncallTopicArn,
    AUDIT_BUCKET: resources.auditBucket,
    WORKFLOW_BUNDLE_PATH: bundlePath,
    REMEDIATION_POLICY: policyPath,
    ...extra,
  });
  const worker = new Remediator('worker', env(workerEnv), '"Worker started"');
  await worker.start();
  return {
    dir,
    address,
    taskQueue,
    moto,
    raw,
    ec2,
    resources,
    proxy,
    client,
    worker,
    env,
    async crashServer(downMs) {
      await server.kill();
      await sleep(downMs);
      server = await startDevServerOnFile(port, dbFile);
    },
    async stop() {
      await worker.stop();
      await connection.close().catch(() => undefined);
      await proxy.close();
      ec2.destroy();
      for (const c of Object.values(raw)) c.destroy();
      await server.stop();
      await moto.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * moto answers StartConfigRulesEvaluation (the write-back after a verified Config fix) with an HTML 500 page, which the
 * SDK and Temporal retry; the proxy answers it the way AWS Config does (an empty JSON object), so the write-back is
 * one call, as in production.
 */
export function standInForMissingApis(proxy: AwsFaultProxy): void {
  proxy.addRule({ service: 'config', action: 'StartConfigRulesEvaluation', fault: { kind: 'reply' } });
}

/** Messages on a queue of the stack's moto: visible and in flight. */
export async function queueDepth(
  stack: CrashStack,
  queueUrl: string,
): Promise<{ visible: number; inFlight: number }> {
  const a = await stack.raw.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(a.Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(a.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

/**
 * A queue `<name>-<suffix>` with a short visibility timeout (what a killed bridge had received comes back in
 * `visibilityTimeoutS` seconds) and its dead-letter queue, after 10 receives.
 */
export async function queueWithDeadLetters(
  stack: CrashStack,
  name: string,
  visibilityTimeoutS: number,
): Promise<{ queueUrl: string; dlqUrl: string }> {
  const suffix = randomUUID().slice(0, 6);
  const dlq = await stack.raw.sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq-${suffix}` }));
  const dlqArn = (
    await stack.raw.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
    )
  ).Attributes?.QueueArn;
  const queue = await stack.raw.sqs.send(
    new CreateQueueCommand({
      QueueName: `${name}-${suffix}`,
      Attributes: {
        VisibilityTimeout: String(visibilityTimeoutS),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: '10' }),
      },
    }),
  );
  return { queueUrl: queue.QueueUrl ?? '', dlqUrl: dlq.QueueUrl ?? '' };
}

/** True when all four settings are on. */
export function isFullyBlocked(block: PublicAccessBlockConfiguration | null): boolean {
  return (
    !!block?.BlockPublicAcls &&
    !!block.IgnorePublicAcls &&
    !!block.BlockPublicPolicy &&
    !!block.RestrictPublicBuckets
  );
}

/** Ports a group opens to 0.0.0.0/0 ([] when the group is gone). */
export async function worldOpenPorts(ec2: EC2Client, groupId: string): Promise<number[]> {
  const out = await ec2
    .send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }))
    .catch(() => undefined);
  return (out?.SecurityGroups?.[0]?.IpPermissions ?? [])
    .filter((p) => p.IpRanges?.some((r) => r.CidrIp === '0.0.0.0/0'))
    .map((p) => p.FromPort ?? -1);
}

/** Creates `count` buckets (no public access block: public) named `<prefix>-<tag>-<n>`. */
export async function publicBuckets(stack: CrashStack, prefix: string, count: number): Promise<string[]> {
  const tag = randomUUID().slice(0, 6);
  const buckets = Array.from({ length: count }, (_, i) => `${prefix}-${tag}-${i}`);
  for (let i = 0; i < buckets.length; i += 10) {
    await Promise.all(buckets.slice(i, i + 10).map((b) => createBucket(stack.raw.s3, b)));
  }
  return buckets;
}

/** Creates `count` security groups with SSH open to the world. */
export async function worldOpenSshGroups(stack: CrashStack, count: number): Promise<string[]> {
  const groups: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const { GroupId } = await stack.ec2.send(
      new CreateSecurityGroupCommand({ GroupName: `crash-${randomUUID().slice(0, 8)}`, Description: 'ssh' }),
    );
    await stack.ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
    groups.push(GroupId ?? '');
  }
  return groups;
}

/** A Config `restricted-ssh` finding for a group. */
export function sshFinding(groupId: string): Finding {
  return configFinding('restricted-ssh', {
    account: FIXTURE_ACCOUNT,
    region: FIXTURE_REGION,
    resourceType: 'AWS::EC2::SecurityGroup',
    resourceId: groupId,
  });
}

/** A workflow's result, asked again when the long poll fails (a server restart), until `deadline`. */
export async function resultOf(
  client: Client,
  workflowId: string,
  deadline: number,
): Promise<RemediationResult> {
  for (;;) {
    try {
      return await client.workflow.getHandle<() => Promise<RemediationResult>>(workflowId).result();
    } catch (err) {
      if ((err as Error).name === 'WorkflowFailedError' || Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}

/** Mutating calls that reached moto per target, and how many of them still changed something. */
export function mutationsPerTarget(
  proxy: AwsFaultProxy,
  targets: readonly string[],
): Map<string, { calls: AwsCall[]; effective: number }> {
  const out = new Map(targets.map((t) => [t, { calls: [] as AwsCall[], effective: 0 }]));
  for (const call of proxy.mutatingCalls()) {
    const entry = call.target === undefined ? undefined : out.get(call.target);
    if (!entry) continue;
    entry.calls.push(call);
    if ((call.note as { effective?: boolean } | undefined)?.effective) entry.effective += 1;
  }
  return out;
}

/** `value×count` for each distinct value, e.g. `1×97, 2×3`. */
export function histogram(values: readonly number[]): string {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a], [b]) => a - b)
    .map(([v, n]) => `${v}×${n}`)
    .join(', ');
}

export function countBy(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

/** The reasons of outcomes that were not REMEDIATED, counted (empty when all were). */
export function notRemediated(results: readonly RemediationResult[]): string {
  const other = results.flatMap((r) => r.outcomes).filter((o) => o.status !== 'REMEDIATED');
  if (other.length === 0) return '';
  return ` — not remediated: ${JSON.stringify(countBy(other.map((o) => `${o.status}: ${o.reason.slice(0, 160)}`)))}`;
}
