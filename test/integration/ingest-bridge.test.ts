/**
 * The ingest bridge against moto's SQS and the real Temporal dev server: delivery, dead-lettering with the reason,
 * acknowledgements, the trust gate (a message claiming another account dead-lettered with an alert on the on-call
 * topic, a stale event acknowledged), an outage (a real TCP cut between the bridge and Temporal), a graceful stop,
 * and a backlog drained with several batches in flight and batched deletes.
 */
import { randomUUID } from 'node:crypto';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { MotoServer } from '../../src/devstack/moto-server';
import { freePort, startTogether } from '../../src/devstack/processes';
import type { Disposition, MessageHandlerOptions } from '../../src/ingest/message-handler';
import { SECURITY_ALERT_SUBJECT, SecurityAlerter } from '../../src/ingest/security-alert';
import { SqsBridge } from '../../src/ingest/sqs-bridge';
import type { BridgeOptions } from '../../src/ingest/sqs-bridge';
import { silentLogger } from '../../src/logger';
import { checkReachable } from '../../src/temporal/connection';
import { drainQueue, FIXTURE_ACCOUNT, rawClients, visibleAndInFlight } from '../helpers/aws';
import { fixtureEvent } from '../helpers/fixtures';
import { bucketEvent, defaultPolicyHandler, fresh, workflowExists } from '../helpers/ingest-events';
import { startSuiteMoto, startSuiteTemporal } from '../helpers/servers';
import { createTcpProxy } from '../helpers/tcp-proxy';

let env: TestWorkflowEnvironment;
let moto: MotoServer;
let raw: ReturnType<typeof rawClients>;

beforeAll(async () => {
  [env, moto] = await startTogether([startSuiteTemporal(), startSuiteMoto()]);
  raw = rawClients(moto.endpoint);
});
afterAll(async () => {
  await env?.teardown();
  await moto?.stop();
});

async function queues() {
  const id = randomUUID().slice(0, 8);
  const source = await raw.sqs.send(
    new CreateQueueCommand({ QueueName: `ingest-${id}`, Attributes: { VisibilityTimeout: '30' } }),
  );
  const dlq = await raw.sqs.send(new CreateQueueCommand({ QueueName: `dlq-${id}` }));
  return { queueUrl: source.QueueUrl!, dlqUrl: dlq.QueueUrl! };
}

function bridgeFor(
  client: Client,
  queueUrl: string,
  dlqUrl: string,
  wrap?: (h: (b: string) => Promise<Disposition>) => (b: string) => Promise<Disposition>,
  overrides: Partial<BridgeOptions> = {},
  handlerOptions: Partial<MessageHandlerOptions> = {},
) {
  // No worker polls this task queue: the test checks what reached Temporal, not the remediation. The trust is the
  // default policy's, `self` being moto's account (the fixtures'), as `remediator ingest` resolves it from STS.
  const handler = defaultPolicyHandler(client, `no-worker-${randomUUID()}`, handlerOptions);
  return new SqsBridge({
    sqs: raw.sqs,
    queueUrl,
    deadLetterQueueUrl: dlqUrl,
    handleMessage: wrap ? wrap(handler) : handler,
    checkTemporal: () => checkReachable(client, 1000),
    logger: silentLogger,
    waitTimeSeconds: 1,
    backoffInitialMs: 200,
    backoffMaxMs: 500,
    ...overrides,
  });
}

async function until(predicate: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('condition not met in time');
}

const workflowIdOf = (bucket: string) => `remediation/123456789012/ap-northeast-1/AWS::S3::Bucket/${bucket}`;

it('signal-with-starts the resource execution and deletes the message; an SNS-wrapped event works too', async () => {
  const { queueUrl, dlqUrl } = await queues();
  const bucket = `b-${randomUUID().slice(0, 8)}`;
  const wrapped = `w-${randomUUID().slice(0, 8)}`;
  await raw.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: bucketEvent(bucket) }));
  await raw.sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify({
        Type: 'Notification',
        MessageId: 'm1',
        TopicArn: 'arn:aws:sns:ap-northeast-1:123456789012:fwd',
        Message: bucketEvent(wrapped),
      }),
    }),
  );
  const bridge = bridgeFor(env.client, queueUrl, dlqUrl);
  const stop = new AbortController();
  const run = bridge.run(stop.signal);

  await until(async () => bridge.stats.delivered === 2);
  stop.abort();
  await run;

  expect(await workflowExists(env.client, workflowIdOf(bucket))).toBe(true);
  expect(await workflowExists(env.client, workflowIdOf(wrapped))).toBe(true);
  expect(await visibleAndInFlight(raw.sqs, queueUrl)).toEqual([0, 0]);
});

it('dead-letters invalid messages with the reason and keeps the loop running', async () => {
  const { queueUrl, dlqUrl } = await queues();
  await raw.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{not json' }));
  await raw.sqs.send(
    new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: bucketEvent('bad bucket id') }),
  );
  const bridge = bridgeFor(env.client, queueUrl, dlqUrl);
  const stop = new AbortController();
  const run = bridge.run(stop.signal);

  await until(async () => bridge.stats.deadLettered === 2);
  stop.abort();
  await run;

  const dead = await drainQueue(raw.sqs, dlqUrl, 2);
  const reasons = dead.map((m) => m.MessageAttributes?.ErrorReason?.StringValue ?? '');
  expect(reasons).toEqual(
    expect.arrayContaining([expect.stringContaining('not JSON'), expect.stringContaining('resourceId')]),
  );
  expect(dead.map((m) => m.Body)).toEqual(expect.arrayContaining(['{not json']));
  expect(await visibleAndInFlight(raw.sqs, queueUrl)).toEqual([0, 0]);
});

it('acknowledges what needs no action: COMPLIANT with nothing running, no playbook, unsupported types', async () => {
  const { queueUrl, dlqUrl } = await queues();
  const bucket = `c-${randomUUID().slice(0, 8)}`;
  await raw.sqs.send(
    new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: bucketEvent(bucket, 'COMPLIANT') }),
  );
  await raw.sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify(
        fresh(
          fixtureEvent('config-s3-bucket-public-read-noncompliant.json', {
            configRuleName: 'cloudtrail-enabled',
          }),
        ),
      ),
    }),
  );
  await raw.sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify({
        ...fresh(fixtureEvent('config-s3-bucket-public-read-noncompliant.json')),
        source: 'aws.s3',
        'detail-type': 'AWS API Call via CloudTrail',
      }),
    }),
  );
  const bridge = bridgeFor(env.client, queueUrl, dlqUrl);
  const stop = new AbortController();
  const run = bridge.run(stop.signal);

  await until(async () => bridge.stats.acknowledged === 3);
  stop.abort();
  await run;

  expect(await workflowExists(env.client, workflowIdOf(bucket))).toBe(false);
  expect(bridge.stats.deadLettered).toBe(0);
  expect(await visibleAndInFlight(raw.sqs, queueUrl)).toEqual([0, 0]);
});

/** An SNS topic with an SQS inbox subscribed to it, as the local stack gives the on-call topic (local-resources.ts). */
async function topicWithInbox(): Promise<{ topicArn: string; inboxUrl: string }> {
  const id = randomUUID().slice(0, 8);
  const { TopicArn } = await raw.sns.send(new CreateTopicCommand({ Name: `oncall-${id}` }));
  const { QueueUrl } = await raw.sqs.send(new CreateQueueCommand({ QueueName: `oncall-inbox-${id}` }));
  const attrs = await raw.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: QueueUrl!, AttributeNames: ['QueueArn'] }),
  );
  await raw.sns.send(
    new SubscribeCommand({ TopicArn: TopicArn!, Protocol: 'sqs', Endpoint: attrs.Attributes!.QueueArn! }),
  );
  return { topicArn: TopicArn!, inboxUrl: QueueUrl! };
}

it('dead-letters a message claiming another account with its reason, starts nothing, and alerts on-call', async () => {
  // Prepare: one event about a served account (the fixtures') sent from another account's bus, and one about an
  // account the default policy does not serve (only `self`); an alerter on a topic with an inbox.
  const { queueUrl, dlqUrl } = await queues();
  const { topicArn, inboxUrl } = await topicWithInbox();
  const alerter = new SecurityAlerter({ sns: raw.sns, topicArn, logger: silentLogger });
  const forged = `f-${randomUUID().slice(0, 8)}`;
  const foreign = `x-${randomUUID().slice(0, 8)}`;
  const other = '210987654321';
  await raw.sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify({ ...(JSON.parse(bucketEvent(forged)) as object), account: other }),
    }),
  );
  const foreignEvent = JSON.parse(bucketEvent(foreign)) as { detail: Record<string, unknown> };
  await raw.sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify({
        ...foreignEvent,
        account: other,
        detail: { ...foreignEvent.detail, awsAccountId: other },
      }),
    }),
  );
  const bridge = bridgeFor(
    env.client,
    queueUrl,
    dlqUrl,
    undefined,
    {},
    {
      alert: (refusal) => alerter.refused(refusal),
    },
  );
  const stop = new AbortController();
  const run = bridge.run(stop.signal);

  // Act
  await until(async () => bridge.stats.deadLettered === 2);
  stop.abort();
  await run;
  await alerter.flush();

  // Assess: both on the dead-letter queue with their reasons, nothing started in Temporal.
  const dead = await drainQueue(raw.sqs, dlqUrl, 2);
  const reasons = dead.map((m) => m.MessageAttributes?.ErrorReason?.StringValue ?? '').sort();
  expect(reasons).toEqual([
    expect.stringMatching(
      new RegExp(`^aws\\.config finding in event .*: account ${other} is not one the remediator serves`),
    ),
    expect.stringMatching(
      new RegExp(
        `^aws\\.config finding in event .*: the envelope comes from account ${other}, the finding is about account ${FIXTURE_ACCOUNT}`,
      ),
    ),
  ]);
  expect(bridge.stats).toMatchObject({ delivered: 0, acknowledged: 0, deadLettered: 2 });
  expect(await workflowExists(env.client, workflowIdOf(forged))).toBe(false);
  expect(await workflowExists(env.client, workflowIdOf(foreign).replace(FIXTURE_ACCOUNT, other))).toBe(false);
  expect(await visibleAndInFlight(raw.sqs, queueUrl)).toEqual([0, 0]);

  // Assess: one alert each (another reason and account), on the on-call topic's inbox.
  const alerts = (await drainQueue(raw.sqs, inboxUrl, 2)).map(
    (m) => JSON.parse(m.Body ?? '{}') as { Subject?: string; Message?: string },
  );
  expect(alerts).toHaveLength(2);
  for (const alert of alerts) expect(alert.Subject).toBe(SECURITY_ALERT_SUBJECT);
  const bodies = alerts.map((a) => a.Message ?? '');
  expect(bodies).toEqual(
    expect.arrayContaining([
      expect.stringContaining(`Finding account: ${FIXTURE_ACCOUNT}`),
      expect.stringContaining(`Finding account: ${other}`),
    ]),
  );
  for (const body of bodies) {
    expect(body).toContain(`Envelope account: ${other}`);
    expect(body).toMatch(/Event id: \S+/);
    // The alert tells, it does not carry the message.
    expect(body).not.toContain('newEvaluationResult');
  }
});

it('acknowledges a stale event with its reason, starting nothing', async () => {
  const { queueUrl, dlqUrl } = await queues();
  const bucket = `t-${randomUUID().slice(0, 8)}`;
  const eightDaysAgo = new Date(Date.now() - 8 * 24 * 3600 * 1000).toISOString();
  await raw.sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify({ ...(JSON.parse(bucketEvent(bucket)) as object), time: eightDaysAgo }),
    }),
  );
  const dispositions: Disposition[] = [];
  const bridge = bridgeFor(env.client, queueUrl, dlqUrl, (handler) => async (body) => {
    const disposition = await handler(body);
    dispositions.push(disposition);
    return disposition;
  });
  const stop = new AbortController();
  const run = bridge.run(stop.signal);

  await until(async () => bridge.stats.acknowledged === 1);
  stop.abort();
  await run;

  expect(dispositions).toEqual([
    expect.objectContaining({
      kind: 'acknowledged',
      reason: expect.stringMatching(/^stale: the event is from .*, 8 days ago/) as unknown,
    }),
  ]);
  expect(bridge.stats).toMatchObject({ delivered: 0, deadLettered: 0 });
  expect(await workflowExists(env.client, workflowIdOf(bucket))).toBe(false);
  expect(await visibleAndInFlight(raw.sqs, queueUrl)).toEqual([0, 0]);
  expect(await visibleAndInFlight(raw.sqs, dlqUrl)).toEqual([0, 0]);
});

it('stops receiving while Temporal is unreachable and delivers once it is back', async () => {
  // Prepare: the bridge reaches Temporal through a proxy that starts cut.
  const proxy = await createTcpProxy(env.address, await freePort());
  const connection = Connection.lazy({ address: proxy.address, connectTimeout: 500 });
  const client = new Client({ connection, namespace: 'default' });
  const { queueUrl, dlqUrl } = await queues();
  const bucket = `o-${randomUUID().slice(0, 8)}`;
  await raw.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: bucketEvent(bucket) }));
  const bridge = bridgeFor(client, queueUrl, dlqUrl);
  const stop = new AbortController();
  const run = bridge.run(stop.signal);

  // Act + Assess: during the outage nothing is received, so SQS counts no receive against the message.
  await new Promise((r) => setTimeout(r, 2500));
  expect(bridge.stats.received).toBe(0);
  expect(await visibleAndInFlight(raw.sqs, queueUrl)).toEqual([1, 0]);

  await proxy.up();
  await until(async () => bridge.stats.delivered === 1, 30_000);
  stop.abort();
  await run;
  await proxy.down();
  await connection.close();

  expect(await workflowExists(env.client, workflowIdOf(bucket))).toBe(true);
  expect(await visibleAndInFlight(raw.sqs, queueUrl)).toEqual([0, 0]);
});

it('finishes in-flight messages when stopped', async () => {
  const { queueUrl, dlqUrl } = await queues();
  const bucket = `s-${randomUUID().slice(0, 8)}`;
  await raw.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: bucketEvent(bucket) }));
  const stop = new AbortController();
  const bridge = bridgeFor(env.client, queueUrl, dlqUrl, (handler) => async (body) => {
    stop.abort(); // the stop arrives while this message is being handled
    await new Promise((r) => setTimeout(r, 500));
    return handler(body);
  });

  await bridge.run(stop.signal);

  expect(bridge.stats.delivered).toBe(1);
  expect(await workflowExists(env.client, workflowIdOf(bucket))).toBe(true);
  expect(await visibleAndInFlight(raw.sqs, queueUrl)).toEqual([0, 0]);
});

/** Counts the SDK commands a client sends, by name. */
function countCommands(sqs: SQSClient): Map<string, number> {
  const counts = new Map<string, number>();
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countCommandsForTest' },
  );
  return counts;
}

it('a stop lets the long poll in flight return and settles what it brings; a second, forced stop cuts it short', async () => {
  // Prepare: an empty queue and a bridge whose 10 s long poll is open at moto (it returns when the message lands).
  const { queueUrl, dlqUrl } = await queues();
  const sqs = rawClients(moto.endpoint).sqs;
  const receives = countCommands(sqs);
  const bridge = bridgeFor(env.client, queueUrl, dlqUrl, undefined, { sqs, waitTimeSeconds: 10 });
  const stop = new AbortController();
  const run = bridge.run(stop.signal);
  await until(async () => (receives.get('ReceiveMessageCommand') ?? 0) >= 1);
  await new Promise((r) => setTimeout(r, 300));

  // Act: the stop comes first, then a message while the poll is still open. Cut short by the client, moto (like SQS)
  // would still hand the message to the abandoned poll and it would stay invisible for its 30 s visibility timeout.
  stop.abort();
  const bucket = `g-${randomUUID().slice(0, 8)}`;
  await raw.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: bucketEvent(bucket) }));
  await run;

  // Assess: the poll brought the message, the bridge delivered and deleted it, and started no other receive.
  expect(bridge.stats.delivered).toBe(1);
  expect(await workflowExists(env.client, workflowIdOf(bucket))).toBe(true);
  expect(await visibleAndInFlight(raw.sqs, queueUrl)).toEqual([0, 0]);
  expect(receives.get('ReceiveMessageCommand')).toBe(1);

  // Act: a forced stop on another bridge with a 20 s poll open returns at once.
  const forced = bridgeFor(env.client, queueUrl, dlqUrl, undefined, { sqs, waitTimeSeconds: 20 });
  const stopForced = new AbortController();
  const force = new AbortController();
  const forcedRun = forced.run(stopForced.signal, force.signal);
  await until(async () => (receives.get('ReceiveMessageCommand') ?? 0) >= 2);
  const at = Date.now();
  stopForced.abort();
  force.abort();
  await forcedRun;

  // Assess
  expect(Date.now() - at).toBeLessThan(2000);
  sqs.destroy();
});

it('drains a backlog with several batches in flight and batched deletes, counting each message once', async () => {
  // Prepare: 60 events for distinct buckets; a handler slow enough that settling overlaps the next receives.
  const { queueUrl, dlqUrl } = await queues();
  const buckets = Array.from({ length: 60 }, (_, i) => `p${i}-${randomUUID().slice(0, 8)}`);
  for (let i = 0; i < buckets.length; i += 10) {
    await raw.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: buckets.slice(i, i + 10).map((b, j) => ({ Id: String(j), MessageBody: bucketEvent(b) })),
      }),
    );
  }
  const sqs = rawClients(moto.endpoint).sqs;
  const commands = countCommands(sqs);
  const handled: string[] = [];
  let active = 0;
  let maxActive = 0;
  const bridge = bridgeFor(
    env.client,
    queueUrl,
    dlqUrl,
    (handler) => async (body) => {
      handled.push(body);
      maxActive = Math.max(maxActive, (active += 1));
      try {
        await new Promise((r) => setTimeout(r, 100));
        return await handler(body);
      } finally {
        active -= 1;
      }
    },
    { sqs },
  );
  const stop = new AbortController();
  const run = bridge.run(stop.signal);

  // Act
  await until(async () => bridge.stats.delivered >= buckets.length, 30_000);
  stop.abort();
  await run;
  sqs.destroy();

  // Assess: each message received, handled and counted once; more than one batch of 10 was being handled at once,
  // within the default bound of 4 batches; deletes went ten to a request at most, never one by one.
  expect(bridge.stats).toEqual({
    received: buckets.length,
    delivered: buckets.length,
    acknowledged: 0,
    deadLettered: 0,
    deferred: 0,
    throttled: 0,
    outages: 0,
    retried: 0,
    visibilityExtended: 0,
    released: 0,
  });
  expect(new Set(handled).size).toBe(buckets.length);
  expect(handled).toHaveLength(buckets.length);
  expect(maxActive).toBeGreaterThan(10);
  expect(maxActive).toBeLessThanOrEqual(40);
  expect(commands.get('DeleteMessageCommand') ?? 0).toBe(0);
  expect(commands.get('DeleteMessageBatchCommand')).toBeGreaterThanOrEqual(buckets.length / 10);
  expect(commands.get('DeleteMessageBatchCommand')).toBeLessThan(buckets.length / 2);
  expect(await visibleAndInFlight(raw.sqs, queueUrl)).toEqual([0, 0]);
  for (const bucket of [buckets[0]!, buckets[buckets.length - 1]!]) {
    expect(await workflowExists(env.client, workflowIdOf(bucket))).toBe(true);
  }
});
