/**
 * Payload encryption on the real Temporal dev server: a remediation of a leaked access key (the GuardDuty IAM fixture,
 * through the real normaliser, its title naming the caller's IP) and one whose containment fails (AccessDenied
 * injected into the IAM client, as a worker role without iam:UpdateAccessKey would get) run with the codec on and off.
 * Then the server is stopped and its SQLite file read byte for byte: with the codec the finding's contents and the
 * failure message are not in it, without the codec they are (so the check can fail). The codec server decodes what
 * the worker wrote, for our own HTTP client and for the Temporal CLI (`--codec-endpoint`).
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  IAMServiceException,
} from '@aws-sdk/client-iam';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { startCodecServer } from '../../src/commands/codec-server';
import { replayHistories } from '../../src/commands/replay';
import type { RunningCodecServer } from '../../src/commands/codec-server';
import { loadDevStackConfig, loadPayloadEncryptionConfig } from '../../src/config';
import { createLocalResources } from '../../src/devstack/local-resources';
import type { LocalResources } from '../../src/devstack/local-resources';
import type { MotoServer } from '../../src/devstack/moto-server';
import { startTemporalDevServer } from '../../src/devstack/temporal-dev-server';
import { remediationWorkflowId } from '../../src/domain/finding';
import type { RoutedFinding } from '../../src/domain/finding';
import type { RemediationResult } from '../../src/domain/remediation';
import { parseMessageBody } from '../../src/ingest/envelope';
import { singleFinding } from '../../src/ingest/normalise';
import { silentLogger } from '../../src/logger';
import { encryptionDataConverter, payloadCodec } from '../../src/temporal/codec';
import { createRemediationWorker } from '../../src/worker';
import { motoClients, rawClients, TEST_CREDENTIALS } from '../helpers/aws';
import { fastSettings, fixtureEvent } from '../helpers/fixtures';
import { startSuiteMoto } from '../helpers/servers';
import { dispatcherWith, testPolicyFor } from '../helpers/worker-policies';

const run = promisify(execFile);
const KEY = randomBytes(32).toString('base64');
const ENCRYPTION = loadPayloadEncryptionConfig({ PAYLOAD_ENCRYPTION_KEYS: `itest-1:${KEY}` })!;
const TOKEN = randomBytes(24).toString('hex');
const CALLER_IP = '198.51.100.12';
const PRINCIPAL_ID = 'AIDAEXAMPLEPRINCIPAL1';
/** What AWS says when the worker's role lacks the action; it must not be readable in the server's database. */
const DENIAL = 'is not authorized to perform: iam:UpdateAccessKey on resource: user';
const ACCOUNT = '123456789012';

let moto: MotoServer;
let iam: IAMClient;
let resources: LocalResources;
const raw = () => rawClients(moto.endpoint);

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // Already installed in this process.
  }
  moto = await startSuiteMoto();
  iam = new IAMClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS });
  resources = await createLocalResources(raw(), `pe${randomUUID().slice(0, 6)}`);
});
afterAll(async () => {
  iam?.destroy();
  await moto?.stop();
});

/** A leaked long-term key of a fresh IAM user in moto, as GuardDuty reports it (through the real normaliser). */
async function leakedKey(userName: string): Promise<{ routed: RoutedFinding; keyId: string }> {
  await iam.send(new CreateUserCommand({ UserName: userName }));
  const keyId = (await iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey!.AccessKeyId!;
  const event = fixtureEvent('guardduty-iam-user-access-key.json', {
    title: `API ListBuckets was invoked by ${userName} from ${CALLER_IP}, an IP address on a custom threat list.`,
    resource: {
      resourceType: 'AccessKey',
      accessKeyDetails: { accessKeyId: keyId, principalId: PRINCIPAL_ID, userName, userType: 'IAMUser' },
    },
  });
  const finding = singleFinding(parseMessageBody(JSON.stringify(event)));
  return { routed: { finding, playbook: 'iam-contain-access-key' }, keyId };
}

interface Scenario {
  /** Every byte of the dev server's SQLite files after it stopped. */
  readonly db: Buffer;
  readonly remediated: { workflowId: string; keyId: string; result: RemediationResult };
  readonly denied: { workflowId: string; keyId: string; result: RemediationResult };
  /** The ActivityTaskFailed event of the denied containment, as the server stores it (no codec). */
  readonly failedActivity: temporal.api.failure.v1.IFailure;
}

/**
 * Runs both remediations on a fresh dev server writing to its own SQLite file, with or without the codec; `whileUp`
 * runs before the server stops (the codec server checks).
 */
async function scenario(
  dataConverter: DataConverter | undefined,
  whileUp: (ctx: {
    address: string;
    client: Client;
    plain: Client;
    s: Omit<Scenario, 'db'>;
  }) => Promise<void> = async () => {},
): Promise<Scenario> {
  const dir = mkdtempSync(join(tmpdir(), 'remediator-pe-'));
  const server = await startTemporalDevServer({
    binary: loadDevStackConfig().temporalCliPath,
    headless: true,
    dbFile: join(dir, 'temporal.db'),
  });
  try {
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({
      connection,
      namespace: 'default',
      ...(dataConverter ? { dataConverter } : {}),
    });
    const plain = new Client({ connection, namespace: 'default' });
    const native = await NativeConnection.connect({ address: server.address });
    const suffix = randomUUID().slice(0, 8);
    const ok = await leakedKey(`ci-deployer-${suffix}`);
    const denied = await leakedKey(`ci-denied-${suffix}`);
    const clients = motoClients(moto.endpoint);
    // The client the playbook's calls use (a kit playbook names its client class; IAM is global: us-east-1).
    clients.client(IAMClient, ACCOUNT, 'us-east-1').middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { UserName?: string };
        if (context.commandName === 'UpdateAccessKeyCommand' && input.UserName === `ci-denied-${suffix}`) {
          throw new IAMServiceException({
            name: 'AccessDenied',
            $fault: 'client',
            $metadata: { httpStatusCode: 403 },
            message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/remediator-worker/task ${DENIAL} ${input.UserName}`,
          });
        }
        return next(args);
      },
      { step: 'initialize', name: 'injectAccessDenied' },
    );
    const taskQueue = `pe-${suffix}`;
    const worker = await createRemediationWorker({
      connection: native,
      namespace: 'default',
      taskQueue,
      ...(dataConverter ? { dataConverter } : {}),
      activities: createActivities({
        clients,
        notifyTopicArn: resources.notifyTopicArn,
        oncallTopicArn: resources.oncallTopicArn,
        auditBucket: resources.auditBucket,
        region: 'ap-northeast-1',
        ui: { temporalUiUrl: 'http://localhost:8233', namespace: 'default' },
        temporal: client,
        policyFor: testPolicyFor,
      }),
    });
    const dispatcher = dispatcherWith(client, taskQueue, fastSettings({}, 500));
    const s = await worker.runUntil(async () => {
      const done = async ({ routed, keyId }: Awaited<ReturnType<typeof leakedKey>>) => {
        await dispatcher.start(routed);
        const workflowId = remediationWorkflowId(routed.finding.resource);
        const result: RemediationResult = await client.workflow.getHandle(workflowId).result();
        return { workflowId, keyId, result };
      };
      const [remediated, deniedRun] = await Promise.all([done(ok), done(denied)]);
      const history = await plain.workflowService.getWorkflowExecutionHistory({
        namespace: 'default',
        execution: { workflowId: deniedRun.workflowId },
      });
      const failedActivity = history.history?.events?.find((e) => e.activityTaskFailedEventAttributes)
        ?.activityTaskFailedEventAttributes?.failure;
      if (!failedActivity) throw new Error('the denied containment recorded no ActivityTaskFailed event');
      const result = { remediated, denied: deniedRun, failedActivity };
      await whileUp({ address: server.address, client, plain, s: result });
      return result;
    });
    clients.destroy();
    await native.close();
    await connection.close();
    await server.stop();
    const db = Buffer.concat(
      readdirSync(dir)
        .filter((f) => f.startsWith('temporal.db'))
        .map((f) => readFileSync(join(dir, f))),
    );
    return { ...s, db };
  } finally {
    await server.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

const has = (db: Buffer, text: string): boolean => db.includes(Buffer.from(text, 'utf8'));

/** Payloads as the codec protocol carries them (protobuf JSON: bytes in base64). */
const toJson = (payloads: temporal.api.common.v1.IPayload[]) => ({
  payloads: payloads.map((p) => ({
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(p.data ?? []).toString('base64'),
  })),
});

const decodedJson = (payload: { data: string }): unknown =>
  JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8'));

it('with the codec on, the finding and the failure message are not readable in the server database; off, they are', async () => {
  // Prepare
  const converter = encryptionDataConverter(ENCRYPTION);

  // Act
  const on = await scenario(converter);
  const off = await scenario(undefined);

  // Assess: both runs did the real work.
  for (const s of [on, off]) {
    expect(s.remediated.result.status).toBe('REMEDIATED');
    expect(s.denied.result.status).toBe('ESCALATED');
    expect(s.denied.result.outcomes[0]?.escalation?.reason).toContain(DENIAL);
    expect(has(s.db, s.remediated.workflowId)).toBe(true); // workflow ids stay readable by design
  }
  // Off: the finding's contents and the AWS error message are plain in the database (the check can fail).
  expect(has(off.db, CALLER_IP)).toBe(true);
  expect(has(off.db, PRINCIPAL_ID)).toBe(true);
  expect(has(off.db, `"accessKeyId":"${off.remediated.keyId}"`)).toBe(true);
  expect(has(off.db, DENIAL)).toBe(true);
  expect(off.failedActivity.message).toContain(DENIAL);
  // On: none of it. (The key id itself is the IAM finding's resource id, so it is in the workflow id and the
  // ResourceId search attribute, which the server must read: docs/architecture.md, Search attributes. What the
  // finding says about it is not.)
  expect(has(on.db, CALLER_IP)).toBe(false);
  expect(has(on.db, PRINCIPAL_ID)).toBe(false);
  expect(has(on.db, `"accessKeyId":"${on.remediated.keyId}"`)).toBe(false);
  expect(has(on.db, '"accessKeyId"')).toBe(false);
  expect(has(on.db, DENIAL)).toBe(false);
  expect(has(on.db, 'ci-deployer-')).toBe(false);
  // The failure itself: message replaced, the real one in an encrypted payload (encodeCommonAttributes).
  expect(on.failedActivity.message).toBe('Encoded failure');
  expect(Buffer.from(on.failedActivity.encodedAttributes?.metadata?.encoding ?? []).toString()).toBe(
    'binary/encrypted',
  );
}, 240_000);

describe('the codec server', () => {
  let codecServer: RunningCodecServer;
  const origin = 'http://localhost:8233';

  beforeAll(async () => {
    codecServer = await startCodecServer(
      payloadCodec(ENCRYPTION),
      { host: '127.0.0.1', port: 0, uiOrigins: [origin], namespaces: ['default'], token: TOKEN },
      silentLogger,
    );
  });
  afterAll(async () => {
    await codecServer?.close();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${codecServer.url}${path}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Namespace': 'default',
        Origin: origin,
        Authorization: `Bearer ${TOKEN}`,
        ...headers,
      },
      body: JSON.stringify(body),
    });

  it('decodes what the worker wrote into the original JSON, for our client and the Temporal CLI; replay with keys', async () => {
    await scenario(encryptionDataConverter(ENCRYPTION), async ({ address, plain, s }) => {
      // Prepare: the signal-with-start as the server stores it.
      const history = await plain.workflowService.getWorkflowExecutionHistory({
        namespace: 'default',
        execution: { workflowId: s.remediated.workflowId },
      });
      const signalled = history.history?.events?.find((e) => e.workflowExecutionSignaledEventAttributes)
        ?.workflowExecutionSignaledEventAttributes?.input?.payloads;
      expect(signalled).toHaveLength(1);
      expect(Buffer.from(signalled![0]!.metadata!.encoding!).toString()).toBe('binary/encrypted');

      // Act
      const response = await post('/decode', toJson(signalled!));
      const failure = await post('/decode', toJson([s.failedActivity.encodedAttributes!]));
      const cli = await run(loadDevStackConfig().temporalCliPath, [
        'workflow',
        'show',
        '--address',
        address,
        '--namespace',
        'default',
        '--workflow-id',
        s.remediated.workflowId,
        '--output',
        'json',
        '--codec-endpoint',
        codecServer.url,
        '--codec-auth',
        `Bearer ${TOKEN}`,
      ]);
      const exported = join(mkdtempSync(join(tmpdir(), 'remediator-pe-h-')), 'encrypted-history.json');
      writeFileSync(
        exported,
        historyToJSON(await plain.workflow.getHandle(s.remediated.workflowId).fetchHistory()),
      );
      const replayed = await replayHistories([exported], encryptionDataConverter(ENCRYPTION));
      const replayedWithoutKeys = await replayHistories([exported], undefined);
      const cliWithoutCodec = await run(loadDevStackConfig().temporalCliPath, [
        'workflow',
        'show',
        '--address',
        address,
        '--workflow-id',
        s.remediated.workflowId,
        '--output',
        'json',
      ]);

      // Assess
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
      const body = (await response.json()) as {
        payloads: { metadata: Record<string, string>; data: string }[];
      };
      expect(Buffer.from(body.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
      const routed = decodedJson(body.payloads[0]!) as RoutedFinding;
      expect(routed.playbook).toBe('iam-contain-access-key');
      expect(routed.finding.details).toMatchObject({
        accessKeyId: s.remediated.keyId,
        principalId: PRINCIPAL_ID,
      });
      expect(routed.finding.title).toContain(CALLER_IP);
      const attrs = decodedJson(((await failure.json()) as typeof body).payloads[0]!) as { message: string };
      expect(attrs.message).toContain(DENIAL);
      const signalledIn = (out: string) => {
        const shown = JSON.parse(out) as {
          events: { workflowExecutionSignaledEventAttributes?: { input: unknown } }[];
        };
        const [payload] = (
          shown.events.find((e) => e.workflowExecutionSignaledEventAttributes)
            ?.workflowExecutionSignaledEventAttributes?.input as {
            payloads: { metadata: Record<string, string>; data: string }[];
          }
        ).payloads;
        return { encoding: Buffer.from(payload!.metadata.encoding!, 'base64').toString(), payload: payload! };
      };
      const viaCli = signalledIn(cli.stdout);
      expect(viaCli.encoding).toBe('json/plain');
      expect(decodedJson(viaCli.payload)).toEqual(routed);
      expect(signalledIn(cliWithoutCodec.stdout).encoding).toBe('binary/encrypted');
      // `remediator replay` replays an encrypted history with the keys, and cannot without them.
      expect(replayed).toEqual({ ok: true, lines: [`ok      ${exported}`] });
      expect(replayedWithoutKeys.ok).toBe(false);
    });
  }, 240_000);

  it('round-trips /encode then /decode under any path prefix', async () => {
    const original = {
      metadata: { encoding: Buffer.from('json/plain').toString('base64') },
      data: Buffer.from('{"a":1}').toString('base64'),
    };
    const encoded = (await (await post('/default/encode', { payloads: [original] })).json()) as {
      payloads: { metadata: Record<string, string>; data: string }[];
    };
    expect(Buffer.from(encoded.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe(
      'binary/encrypted',
    );
    const decoded = (await (await post('/default/decode', encoded)).json()) as typeof encoded;
    expect(decoded.payloads).toEqual([original]);
  });

  it('answers the CORS preflight of the Web UI, and refuses other origins', async () => {
    const preflight = (from: string) =>
      fetch(`${codecServer.url}/decode`, {
        method: 'OPTIONS',
        headers: {
          Origin: from,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'x-namespace,content-type,authorization',
        },
      });
    const ok = await preflight(origin);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(origin);
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    expect(ok.headers.get('access-control-allow-methods')).toContain('POST');
    const allowed = ok.headers
      .get('access-control-allow-headers')
      ?.split(',')
      .map((h) => h.trim().toLowerCase());
    expect(allowed).toEqual(expect.arrayContaining(['x-namespace', 'content-type', 'authorization']));
    const evil = await preflight('https://evil.example.com');
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    expect((await post('/decode', { payloads: [] }, { Origin: 'https://evil.example.com' })).status).toBe(
      403,
    );
  });

  it('refuses a wrong or missing token (401), another namespace (403) and a malformed body (400)', async () => {
    const wrong = await post('/decode', { payloads: [] }, { Authorization: `Bearer ${'0'.repeat(48)}` });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await post('/decode', { payloads: [] }, { Authorization: '' })).status).toBe(401);
    expect((await post('/decode', { payloads: [] }, { 'X-Namespace': 'prod' })).status).toBe(403);
    expect((await post('/decode', { nope: 1 })).status).toBe(400);
    const tampered = await post('/decode', {
      payloads: [
        {
          metadata: {
            encoding: Buffer.from('binary/encrypted').toString('base64'),
            'encryption-key-id': Buffer.from('itest-1').toString('base64'),
          },
          data: randomBytes(64).toString('base64'),
        },
      ],
    });
    expect(tampered.status).toBe(422);
    expect(JSON.stringify(await tampered.json())).not.toContain(KEY);
  });

  it('binds loopback by default: not reachable on the other interfaces', async () => {
    expect(codecServer.host).toBe('127.0.0.1');
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    if (external) {
      await expect(fetch(`http://${external}:${codecServer.port}/health`)).rejects.toThrow();
    }
    expect((await fetch(`${codecServer.url}/health`)).status).toBe(200);
  });
});
