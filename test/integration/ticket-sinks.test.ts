/**
 * Ticket sinks against real servers: a signed webhook and Jira Cloud's REST v3 against a local HTTP server that
 * checks what a receiver would (signature, idempotency, auth, issue shape), and SNS through moto to a queue.
 */
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { ApplicationFailure } from '@temporalio/common';
import type { AuditRecord } from '../../src/domain/audit-record';
import { createTicketActivities, ticketFor } from '../../src/activities/ticket';
import type { TicketRequest } from '../../src/activities/ticket';
import { idempotencyLabel, jiraSink } from '../../src/activities/tickets/jira-sink';
import { snsSink } from '../../src/activities/tickets/sns-sink';
import { webhookSink } from '../../src/activities/tickets/webhook-sink';
import type { MotoServer } from '../../src/devstack/moto-server';
import { runActivity } from '../helpers/activity-env';
import { drainQueue, motoClients, rawClients } from '../helpers/aws';
import { s3Finding } from '../helpers/fixtures';
import { startSuiteMoto } from '../helpers/servers';

interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

let server: Server;
let base: string;
let moto: MotoServer;
const received: Received[] = [];
/** The answer of the next webhook call. */
let webhookStatus = 200;
/** Jira issues created, by label. */
const issues = new Map<string, string>();
let created = 0;

const SECRET = 'a-webhook-secret-of-32-characters';
const JIRA_AUTH = `Basic ${Buffer.from('bot@example.com:jira-token').toString('base64')}`;

beforeAll(async () => {
  moto = await startSuiteMoto();
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      const json = (status: number, value: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      if (req.url === '/hooks/tickets') return json(webhookStatus, { id: 'HOOK-7' });
      if (req.headers.authorization !== JIRA_AUTH) return json(401, { errorMessages: ['unauthorised'] });
      if (req.url === '/rest/api/3/search/jql') {
        const label = /labels = "([^"]+)"/.exec((JSON.parse(body) as { jql: string }).jql)?.[1] ?? '';
        const key = issues.get(label);
        return json(200, { issues: key ? [{ key }] : [] });
      }
      if (req.url === '/rest/api/3/issue') {
        const { fields } = JSON.parse(body) as { fields: { labels: string[] } };
        created += 1;
        const key = `SEC-${created}`;
        for (const label of fields.labels) issues.set(label, key);
        return json(201, { id: '10001', key });
      }
      return json(404, {});
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await moto?.stop();
});
beforeEach(() => {
  received.length = 0;
  webhookStatus = 200;
});

const UI = { temporalUiUrl: 'http://ui.example', namespace: 'default' };
const request: TicketRequest = {
  workflowId: 'remediation/123456789012/ap-northeast-1/AWS::S3::Bucket/b',
  runId: 'run-0001-aaaa',
  finding: s3Finding('b'),
  playbook: 's3-block-public-access',
  reason: 'step put-public-access-block failed: AccessDenied',
};

it('webhook: signs timestamp and body with HMAC-SHA256, sends an idempotency key, returns the receiver reference', async () => {
  const ref = await webhookSink(`${base}/hooks/tickets`, SECRET).open(ticketFor(request, UI));

  const [call] = received;
  const signature = String(call?.headers['x-remediator-signature']);
  const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature) ?? [];
  const expected = createHmac('sha256', SECRET).update(`${t}.${call?.body}`).digest('hex');
  expect(ref).toBe('webhook:HOOK-7');
  expect(v1).toBe(expected);
  expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(60);
  expect(call?.headers['idempotency-key']).toBe('run-0001-aaaa/evt-b');
  expect(JSON.parse(call?.body ?? '{}')).toMatchObject({
    title: '[remediator] s3-block-public-access needs a person: b (123456789012/ap-northeast-1)',
    record: { link: expect.stringContaining('http://ui.example/namespaces/default/workflows/') },
  });
});

it('createTicket: a refusing receiver fails for good (4xx), a failing one is retried (5xx); the audit record carries the reference', async () => {
  const audits: AuditRecord[] = [];
  const { createTicket } = createTicketActivities(
    async (r) => {
      audits.push(r);
    },
    UI,
    webhookSink(`${base}/hooks/tickets`, SECRET),
  );

  const ok = await runActivity(createTicket, request);
  webhookStatus = 400;
  const refused = await runActivity(createTicket, request).catch((err: unknown) => err);
  webhookStatus = 503;
  const failing = await runActivity(createTicket, request).catch((err: unknown) => err);

  expect(ok).toBe('webhook:HOOK-7');
  expect(audits.map((a) => a.reason)).toEqual([`webhook:HOOK-7: ${request.reason}`]);
  expect(refused).toBeInstanceOf(ApplicationFailure);
  expect(refused).toMatchObject({ type: 'TicketRefused', nonRetryable: true });
  expect(failing).not.toBeInstanceOf(ApplicationFailure);
  expect((failing as Error).message).toBe('webhook answered 503');
});

it('Jira Cloud: creates one issue per finding and run (a retry finds it by label), with basic auth and ADF', async () => {
  const sink = jiraSink({
    baseUrl: `${base}/`,
    email: 'bot@example.com',
    apiToken: 'jira-token',
    projectKey: 'SEC',
    issueType: 'Task',
  });
  const ticket = ticketFor(request, UI);

  const first = await sink.open(ticket);
  const retry = await sink.open(ticket);
  const other = await sink.open(ticketFor({ ...request, runId: 'run-0002-bbbb' }, UI));

  expect([first, retry, other]).toEqual(['jira:SEC-1', 'jira:SEC-1', 'jira:SEC-2']);
  const creates = received.filter((r) => r.path === '/rest/api/3/issue');
  expect(creates).toHaveLength(2);
  const { fields } = JSON.parse(creates[0]?.body ?? '{}') as {
    fields: {
      project: unknown;
      issuetype: unknown;
      summary: string;
      labels: string[];
      description: { type: string };
    };
  };
  expect(fields).toMatchObject({
    project: { key: 'SEC' },
    issuetype: { name: 'Task' },
    summary: ticket.title,
    labels: ['remediator', idempotencyLabel('run-0001-aaaa/evt-b')],
    description: { type: 'doc', version: 1 },
  });
  expect(JSON.stringify(received.map((r) => r.body))).not.toContain('jira-token');
});

it('SNS: publishes the ticket to the tickets topic with its key', async () => {
  const raw = rawClients(moto.endpoint);
  const clients = motoClients(moto.endpoint);
  const topic = await raw.sns.send(new CreateTopicCommand({ Name: 'tickets' }));
  const queue = await raw.sqs.send(new CreateQueueCommand({ QueueName: 'tickets-inbox' }));
  const arn = (
    await raw.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }),
    )
  ).Attributes?.QueueArn;
  await raw.sns.send(new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: 'sqs', Endpoint: arn }));

  const ref = await snsSink(clients.sns('ap-northeast-1'), topic.TopicArn ?? '').open(ticketFor(request, UI));

  const [message] = await drainQueue(raw.sqs, queue.QueueUrl ?? '', 1);
  const note = JSON.parse(message?.Body ?? '{}') as {
    Subject: string;
    Message: string;
    MessageAttributes: Record<string, { Value: string }>;
  };
  expect(ref).toBe('sns:run-0001-aaaa/evt-b');
  expect(note.Subject).toBe(
    '[remediator] s3-block-public-access needs a person: b (123456789012/ap-northeast-1)',
  );
  expect(note.Message).toContain('--- machine-readable record ---');
  expect(note.MessageAttributes.ticketKey?.Value).toBe('run-0001-aaaa/evt-b');
  clients.destroy();
});
