/**
 * No secret in any log line. The real processes (`remediator worker`, `ingest` and `codec-server`) run against the dev
 * server and moto with known secret values in their environment — AWS credentials, the Temporal API key (sent to the
 * dev server, which ignores it), the webhook signing secret, an unused Jira token, the payload key, the codec server
 * token — while two GuardDuty findings about leaked access keys go from EventBridge through SQS to the worker: one
 * key is deactivated (notification, audit record), the other cannot be contained (escalation, on-call page, a signed
 * webhook ticket). Every line the processes print (our JSON logs and the Temporal runtime's) is then scanned.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { Client, Connection } from '@temporalio/client';
import { loadDevStackConfig } from '../../src/config';
import { createLocalResources } from '../../src/devstack/local-resources';
import type { LocalResources } from '../../src/devstack/local-resources';
import type { MotoServer } from '../../src/devstack/moto-server';
import { freePort, startTogether } from '../../src/devstack/processes';
import { startTemporalDevServer } from '../../src/devstack/temporal-dev-server';
import type { TemporalDevServer } from '../../src/devstack/temporal-dev-server';
import { webhookSignature } from '../../src/activities/tickets/webhook-sink';
import { drainQueue, rawClients, TEST_CREDENTIALS } from '../helpers/aws';
import { fixtureEvent } from '../helpers/fixtures';
import { startSuiteMoto } from '../helpers/servers';
import { remediator } from '../helpers/cli-process';

const POLICY = join(__dirname, '../../examples/policy-fast.yaml');

const upper = (n: number) =>
  Array.from(randomBytes(n), (b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[b % 32]).join('');
const PAYLOAD_KEY = randomBytes(32);
const SECRETS = {
  AWS_ACCESS_KEY_ID: `AKIA${upper(16)}`,
  AWS_SECRET_ACCESS_KEY: randomBytes(30).toString('base64'),
  TEMPORAL_API_KEY: `tmprl-${randomBytes(24).toString('hex')}`,
  TICKET_WEBHOOK_SECRET: `whsec-${randomBytes(20).toString('hex')}`,
  JIRA_API_TOKEN: `ATATT${randomBytes(20).toString('hex')}`,
  CODEC_SERVER_TOKEN: `codec-${randomBytes(20).toString('hex')}`,
  PAYLOAD_KEY: PAYLOAD_KEY.toString('base64'),
};

let moto: MotoServer;
let temporalServer: TemporalDevServer;
let resources: LocalResources;
let webhook: Server;
const tickets: { body: string; signature: string }[] = [];

beforeAll(async () => {
  [moto, temporalServer] = await startTogether([
    startSuiteMoto(),
    startTemporalDevServer({ binary: loadDevStackConfig().temporalCliPath, headless: true }),
  ]);
  resources = await createLocalResources(rawClients(moto.endpoint), `ls${randomUUID().slice(0, 6)}`);
  webhook = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      tickets.push({ body, signature: String(req.headers['x-remediator-signature'] ?? '') });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"id":"T-1"}');
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise<void>((resolve) => (webhook ? webhook.close(() => resolve()) : resolve()));
  await temporalServer?.stop();
  await moto?.stop();
});

it('a full run with encryption on prints no secret and no access key id of a finding in any log line', async () => {
  // Prepare: two users with real keys in moto; the processes with every secret in their environment.
  const iam = new IAMClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS });
  const keyOf = async (userName: string) => {
    await iam.send(new CreateUserCommand({ UserName: userName }));
    return (await iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey!.AccessKeyId!;
  };
  const containedKey = await keyOf('ci-deployer');
  const rootKey = await keyOf('legacy-root-like');
  iam.destroy();
  const codecPort = await freePort();
  const env = {
    TEMPORAL_ADDRESS: temporalServer.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_API_KEY: SECRETS.TEMPORAL_API_KEY,
    TEMPORAL_TLS: 'false',
    TEMPORAL_TASK_QUEUE: 'log-scan',
    AWS_REGION: 'ap-northeast-1',
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: SECRETS.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: SECRETS.AWS_SECRET_ACCESS_KEY,
    INGEST_QUEUE_URL: resources.ingestQueueUrl,
    INGEST_WAIT_TIME_SECONDS: '1',
    NOTIFY_TOPIC_ARN: resources.notifyTopicArn,
    ONCALL_TOPIC_ARN: resources.oncallTopicArn,
    AUDIT_BUCKET: resources.auditBucket,
    REMEDIATION_POLICY: POLICY,
    TICKET_SINK: 'webhook',
    TICKET_WEBHOOK_URL: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/tickets`,
    TICKET_WEBHOOK_SECRET: SECRETS.TICKET_WEBHOOK_SECRET,
    JIRA_API_TOKEN: SECRETS.JIRA_API_TOKEN,
    PAYLOAD_ENCRYPTION_KEYS: `e2e-1:${SECRETS.PAYLOAD_KEY}`,
    CODEC_SERVER_TOKEN: SECRETS.CODEC_SERVER_TOKEN,
  };
  const worker = remediator(['worker'], env);
  const ingest = remediator(['ingest'], env);
  const codec = remediator(['codec-server', '--port', String(codecPort)], env);
  const event = (keyId: string, userName: string, userType: string) =>
    fixtureEvent('guardduty-iam-user-access-key.json', {
      id: `gd-${keyId.toLowerCase()}`,
      resource: {
        resourceType: 'AccessKey',
        accessKeyDetails: { accessKeyId: keyId, principalId: 'AIDAEXAMPLEPRINCIPAL1', userName, userType },
      },
    });

  // Act
  const { events } = rawClients(moto.endpoint);
  const put = await events.send(
    new PutEventsCommand({
      Entries: [
        event(containedKey, 'ci-deployer', 'IAMUser'),
        event(rootKey, 'legacy-root-like', 'Root'),
      ].map((e) => ({
        Source: String(e.source),
        DetailType: String(e['detail-type']),
        Detail: JSON.stringify(e.detail),
        EventBusName: 'default',
      })),
    }),
  );
  events.destroy();
  const { sqs } = rawClients(moto.endpoint);
  const [notes, pages] = await Promise.all([
    drainQueue(sqs, resources.notifyInboxUrl, 1, 90_000),
    drainQueue(sqs, resources.oncallInboxUrl, 1, 90_000),
  ]);
  for (let i = 0; i < 100 && tickets.length === 0; i += 1) await new Promise((r) => setTimeout(r, 100));
  // The codec server decodes the worker's payloads for an operator (and logs nothing secret doing so).
  const connection = await Connection.connect({ address: temporalServer.address });
  const plain = new Client({ connection, namespace: 'default' });
  const history = await plain.workflowService.getWorkflowExecutionHistory({
    namespace: 'default',
    execution: { workflowId: `remediation/123456789012/global/AWS::IAM::AccessKey/${containedKey}` },
  });
  await connection.close();
  const input = history.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
  const decoded = await fetch(`http://127.0.0.1:${codecPort}/decode`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${SECRETS.CODEC_SERVER_TOKEN}` },
    body: JSON.stringify({
      payloads: input.map((p) => ({
        metadata: Object.fromEntries(
          Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
        ),
        data: Buffer.from(p.data ?? []).toString('base64'),
      })),
    }),
  });
  const refused = await fetch(`http://127.0.0.1:${codecPort}/decode`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${SECRETS.AWS_SECRET_ACCESS_KEY}` },
    body: '{"payloads":[]}',
  });
  sqs.destroy();
  for (const p of [worker, ingest, codec]) p.kill('SIGTERM');
  const codes = await Promise.all([worker.exited, ingest.exited, codec.exited]);

  // Assess: the run did the work (so there was something to leak) ...
  expect(put.FailedEntryCount).toBe(0);
  expect(codes).toEqual([0, 0, 0]);
  const subjects = notes.map((m) => String(JSON.parse(m.Body ?? '{}').Subject));
  expect(subjects).toEqual(
    expect.arrayContaining([expect.stringMatching(/^\[REMEDIATED\] iam-contain-access-key/)]),
  );
  expect(pages.map((m) => String(JSON.parse(m.Body ?? '{}').Subject))).toEqual([
    expect.stringMatching(/^\[ESCALATED\] iam-contain-access-key/),
  ]);
  expect(tickets).toHaveLength(1);
  const [t, v1] = tickets[0]!.signature.split(',');
  expect(`${t},${v1}`).toBe(
    webhookSignature(SECRETS.TICKET_WEBHOOK_SECRET, Number(t?.slice(2)), tickets[0]!.body),
  );
  expect(Buffer.from(input[0]?.metadata?.encoding ?? []).toString()).toBe('binary/encrypted');
  expect(decoded.status).toBe(200);
  expect(JSON.stringify(await decoded.json())).not.toContain('binary/encrypted');
  expect(refused.status).toBe(401);
  const logs = [worker.output(), ingest.output(), codec.output()].join('\n');
  expect(logs).toContain('"message":"Worker started"');
  expect(logs).toContain('"message":"Finding delivered"');
  expect(logs).toContain('"message":"Codec server started"');
  expect(logs).toContain('"message":"Codec request refused"');
  // ... and no line carries a secret, in any common spelling, nor a finding's access key id.
  const forbidden: Record<string, string> = {
    ...SECRETS,
    PAYLOAD_KEY_HEX: PAYLOAD_KEY.toString('hex'),
    PAYLOAD_KEY_URLSAFE: PAYLOAD_KEY.toString('base64url'),
    'finding key (contained)': containedKey,
    'finding key (escalated)': rootKey,
  };
  // A line is also read with every base64 run in it decoded (task tokens, say, embed the workflow id that way).
  const readings = (line: string) => [
    line,
    ...(line.match(/[A-Za-z0-9+/_-]{16,}={0,2}/g) ?? []).map((run) =>
      Buffer.from(run, 'base64').toString('latin1'),
    ),
  ];
  const leaks = logs.split('\n').flatMap((line) =>
    Object.entries(forbidden)
      .filter(([, value]) => readings(line).some((text) => text.includes(value)))
      .map(([name, value]) => `${name}: ${line.replaceAll(value, `<${name}>`).slice(0, 400)}`),
  );
  expect(leaks).toEqual([]);
  // Key ids did reach log lines (workflow ids, notification subjects), masked to prefix and last four.
  expect(logs).toContain(`AccessKey/AKIA****${containedKey.slice(-4)}`);
}, 240_000);
