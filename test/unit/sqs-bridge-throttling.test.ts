/**
 * The bridge under a throttling Temporal (RESOURCE_EXHAUSTED), against the in-memory SQS: throttled messages are held
 * (their visibility pushed out) and retried by the bridge, so SQS never hands them out again; receiving goes on only
 * while there is room under `maxInFlight`; no probe is needed because Temporal answers. A stop releases held messages
 * at once; a message that reaches SQS's 12 h limit, or whose visibility cannot be changed, is released too.
 */
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from '../../src/logger';
import { silentLogger } from '../../src/logger';
import { TemporalUnavailableError } from '../../src/ingest/message-handler';
import { MessageHolder } from '../../src/ingest/message-hold';
import type { SqsBridge } from '../../src/ingest/sqs-bridge';
import type { BridgeOptions } from '../../src/ingest/sqs-bridge';
import { bodies, bridgeOn, delivered, sleep, until } from '../helpers/bridge-harness';
import { FakeSqs } from '../helpers/fake-sqs';

const throttled = () => new TemporalUnavailableError('RESOURCE_EXHAUSTED', { throttled: true });

/** The harness's bridge, with backoffs and the held visibility's margin for these tests. */
const throttlingBridge = (sqs: FakeSqs, options: Partial<BridgeOptions>): SqsBridge =>
  bridgeOn(sqs, { backoffMaxMs: 40, heldVisibilityMarginSeconds: 30, ...options });

it('holds throttled messages and retries them itself: each received once, none left to SQS, no probe', async () => {
  // Prepare: Temporal throttles every call for the first 300 ms.
  const sqs = new FakeSqs();
  sqs.add(...bodies(100));
  const throttleUntil = Date.now() + 300;
  let probes = 0;
  let active = 0;
  let maxActive = 0;
  const warnings: string[] = [];
  const bridge = throttlingBridge(sqs, {
    maxInFlight: 20,
    checkTemporal: async () => {
      probes += 1;
    },
    logger: { ...silentLogger, warn: (message) => warnings.push(message) },
    handleMessage: async (body) => {
      maxActive = Math.max(maxActive, (active += 1));
      try {
        await sleep(1);
        if (Date.now() < throttleUntil) throw throttled();
        return delivered(body);
      } finally {
        active -= 1;
      }
    },
  });
  const stop = new AbortController();
  const run = bridge.run(stop.signal);

  // Act
  await until(() => bridge.stats.delivered === 100);
  stop.abort();
  await run;

  // Assess: all delivered from their first receive; every throttled message was made invisible before retrying.
  expect(bridge.stats).toMatchObject({
    received: 100,
    delivered: 100,
    deadLettered: 0,
    outages: 0,
    released: 0,
  });
  expect(bridge.stats.throttled).toBe(bridge.stats.deferred);
  expect(bridge.stats.throttled).toBeGreaterThanOrEqual(20);
  expect(bridge.stats.retried).toBe(bridge.stats.deferred);
  expect(bridge.stats.visibilityExtended).toBe(bridge.stats.deferred);
  const heldIds = new Set(sqs.visibilityChanges.map((c) => c.messageId));
  expect(heldIds.size).toBeGreaterThanOrEqual(20);
  for (const change of sqs.visibilityChanges) expect(change.seconds).toBeGreaterThan(30);
  expect(sqs.inFlight).toBe(0);
  // Temporal answered throughout: only the start's probe ran; held messages kept within maxInFlight.
  expect(probes).toBe(1);
  expect(maxActive).toBeLessThanOrEqual(20);
  // One warning per held message, not one per attempt.
  expect(warnings.filter((w) => w.startsWith('Temporal throttled the request'))).toHaveLength(heldIds.size);
});

it('releases held messages at once when stopped, leaving them invisible for the visibility they have', async () => {
  const sqs = new FakeSqs();
  sqs.add(...bodies(5));
  const bridge = throttlingBridge(sqs, {
    backoffInitialMs: 60_000,
    backoffMaxMs: 60_000,
    handleMessage: async () => {
      throw throttled();
    },
  });
  const stop = new AbortController();
  const run = bridge.run(stop.signal);
  await until(() => bridge.stats.visibilityExtended === 5);

  const at = Date.now();
  stop.abort();
  await run;

  expect(Date.now() - at).toBeLessThan(1000);
  expect(bridge.stats).toMatchObject({
    received: 5,
    delivered: 0,
    deferred: 5,
    released: 5,
    deadLettered: 0,
  });
  expect(sqs.visibilityChanges.map((c) => c.seconds)).toEqual([90, 90, 90, 90, 90]);
  expect(sqs.inFlight).toBe(5);
});

/** A message as received, with a receipt handle the fake knows. */
async function receivedMessage(sqs: FakeSqs): Promise<Message> {
  sqs.add('body');
  const out = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: 'q', MaxNumberOfMessages: 1 }))) as {
    Messages: Message[];
  };
  return out.Messages[0]!;
}

function holderOn(sqs: SQSClient, now: () => number, logger: Logger = silentLogger) {
  const stats = { visibilityExtended: 0, released: 0 };
  const holder = new MessageHolder({
    sqs,
    queueUrl: 'q',
    policy: { initialDelayMs: 10, maxDelayMs: 10, marginSeconds: 60 },
    logger,
    stats,
    now,
  });
  return { holder, stats };
}

it('releases a message near the 12 h limit with the visibility that is left, instead of extending it', async () => {
  const sqs = new FakeSqs();
  const message = await receivedMessage(sqs);
  const receivedAtMs = 0;
  const { holder, stats } = holderOn(sqs.client, () => 12 * 3600 * 1000 - 100_000);

  const retry = await holder.hold(
    { message, receivedAtMs, attempts: 1 },
    new AbortController().signal,
    () => true,
  );

  expect(retry).toBe(false);
  expect(stats).toEqual({ visibilityExtended: 0, released: 1 });
  // 12 h, less the minute kept clear, less the 100 s still to go before the limit: 40 s left.
  expect(sqs.visibilityChanges).toEqual([{ messageId: message.MessageId, seconds: 40 }]);
});

it('releases a message whose visibility SQS refuses to change, and says why', async () => {
  const sqs = new FakeSqs();
  const warnings: string[] = [];
  const { holder, stats } = holderOn(sqs.client, () => Date.now(), {
    ...silentLogger,
    warn: (message, fields) => warnings.push(`${message} ${JSON.stringify(fields)}`),
  });
  const gone: Message = { MessageId: 'm-gone', ReceiptHandle: 'unknown', Body: 'x' };

  const retry = await holder.hold(
    { message: gone, receivedAtMs: Date.now(), attempts: 1 },
    new AbortController().signal,
    () => true,
  );

  expect(retry).toBe(false);
  expect(stats).toEqual({ visibilityExtended: 0, released: 1 });
  expect(warnings).toEqual([expect.stringContaining('ChangeMessageVisibility failed: refused')]);
});

it('keeps extending while Temporal is not back, and retries once it is', async () => {
  const sqs = new FakeSqs();
  const message = await receivedMessage(sqs);
  const { holder, stats } = holderOn(sqs.client, () => Date.now());
  let readyAfter = 3;

  const retry = await holder.hold(
    { message, receivedAtMs: Date.now(), attempts: 1 },
    new AbortController().signal,
    () => (readyAfter -= 1) === 0,
  );

  expect(retry).toBe(true);
  expect(stats).toEqual({ visibilityExtended: 3, released: 0 });
  expect(sqs.visibilityChanges).toHaveLength(3);
});
