/**
 * The bridge's pipeline against an in-memory SQS that hands each message out exactly once (unlike moto, whose
 * concurrent receives can race): several receivers at once, the bound on messages in flight, batched deletes with a
 * refused entry, a Temporal outage that pauses every receiver behind a single probe while the messages it met are
 * held, and a stop that waits for in-flight settles.
 */
import type { Logger } from '../../src/logger';
import { silentLogger } from '../../src/logger';
import { TemporalUnavailableError } from '../../src/ingest/message-handler';
import { bodies, bridgeOn, delivered, sleep, until } from '../helpers/bridge-harness';
import { FakeSqs } from '../helpers/fake-sqs';

it('with several receivers, handles and counts every message once, within maxInFlight, deleting in batches', async () => {
  const sqs = new FakeSqs();
  sqs.add(...bodies(200));
  const handled: string[] = [];
  let active = 0;
  let maxActive = 0;
  const bridge = bridgeOn(sqs, {
    receivers: 4,
    maxInFlight: 30,
    handleMessage: async (body) => {
      handled.push(body);
      maxActive = Math.max(maxActive, (active += 1));
      await sleep(1 + (body.length % 5));
      active -= 1;
      return delivered(body);
    },
  });
  const stop = new AbortController();
  const run = bridge.run(stop.signal);

  await until(() => bridge.stats.delivered === 200 && sqs.receivesInFlight === 3);
  stop.abort();
  await run;

  expect(bridge.stats).toEqual({
    received: 200,
    delivered: 200,
    acknowledged: 0,
    deadLettered: 0,
    deferred: 0,
    throttled: 0,
    outages: 0,
    retried: 0,
    visibilityExtended: 0,
    released: 0,
  });
  expect(new Set(handled).size).toBe(200);
  expect(handled).toHaveLength(200);
  // A receive reserves room for a full batch: with 30 in flight at most, only three of the four poll at once.
  expect(sqs.maxReceivesInFlight).toBe(3);
  expect(maxActive).toBeGreaterThan(10);
  expect(maxActive).toBeLessThanOrEqual(30);
  expect(sqs.deleteBatchSizes.reduce((a, b) => a + b, 0)).toBe(200);
  expect(Math.max(...sqs.deleteBatchSizes)).toBeLessThanOrEqual(10);
  expect(sqs.deleteBatchSizes.length).toBeLessThan(100);
  expect(sqs.calls.get('DeleteMessageCommand')).toBeUndefined();
});

it('logs a delete that SQS refuses for one entry and does not count it; the rest of the batch settles', async () => {
  const sqs = new FakeSqs();
  sqs.add(...bodies(10));
  sqs.refuse.add('m4');
  const errors: string[] = [];
  const logger: Logger = {
    ...silentLogger,
    error: (message, fields) => errors.push(`${message} ${JSON.stringify(fields)}`),
  };
  const bridge = bridgeOn(sqs, { logger });
  const stop = new AbortController();
  const run = bridge.run(stop.signal);

  await until(() => bridge.stats.delivered === 9 && errors.length === 1);
  stop.abort();
  await run;

  expect(bridge.stats).toMatchObject({ received: 10, delivered: 9 });
  expect(errors).toEqual([expect.stringContaining('it will be redelivered')]);
  expect(errors[0]).toContain('"messageId":"m4"');
  expect(errors[0]).toContain('ReceiptHandleIsInvalid');
});

it('pauses every receiver during an outage behind one probe, holds what it met, and delivers it when Temporal is back', async () => {
  const sqs = new FakeSqs();
  const temporal = { down: false, probes: 0, probing: 0, maxProbing: 0 };
  const bridge = bridgeOn(sqs, {
    receivers: 4,
    checkTemporal: async () => {
      temporal.probes += 1;
      temporal.maxProbing = Math.max(temporal.maxProbing, (temporal.probing += 1));
      await sleep(5);
      temporal.probing -= 1;
      if (temporal.down) throw new Error('connection refused');
    },
    handleMessage: async (body) => {
      if (temporal.down) throw new TemporalUnavailableError('connection refused');
      return delivered(body);
    },
  });
  const stop = new AbortController();
  const run = bridge.run(stop.signal);
  await until(() => sqs.receivesInFlight === 4);

  // Temporal goes down; the next messages are held (their visibility pushed out) and every long poll stops.
  temporal.down = true;
  sqs.add(...bodies(3));
  await until(() => bridge.stats.deferred === 3 && sqs.receivesInFlight === 0);
  const receives = sqs.calls.get('ReceiveMessageCommand');
  const probes = temporal.probes;
  await sleep(200);
  expect(sqs.calls.get('ReceiveMessageCommand')).toBe(receives);
  expect(temporal.probes).toBeGreaterThan(probes);
  expect(bridge.stats).toMatchObject({ received: 3, delivered: 0, outages: 1, released: 0 });
  expect(sqs.inFlight).toBe(3);
  expect(new Set(sqs.visibilityChanges.map((c) => c.messageId)).size).toBe(3);

  // Back: the held messages are retried by the bridge (no new receive) and every receiver resumes.
  temporal.down = false;
  await until(() => bridge.stats.delivered === 3 && sqs.receivesInFlight === 4);
  stop.abort();
  await run;

  expect(temporal.maxProbing).toBe(1);
  expect(bridge.stats).toMatchObject({
    received: 3,
    delivered: 3,
    acknowledged: 0,
    deadLettered: 0,
    throttled: 0,
    outages: 1,
    deferred: 3,
    retried: 3,
    released: 0,
  });
  expect(bridge.stats.visibilityExtended).toBeGreaterThanOrEqual(3);
  expect(sqs.inFlight).toBe(0);
});

it('finishes every message in flight, across batches, before the stop resolves', async () => {
  const sqs = new FakeSqs();
  sqs.add(...bodies(35));
  const stop = new AbortController();
  let started = 0;
  const bridge = bridgeOn(sqs, {
    handleMessage: async (body) => {
      if ((started += 1) === 25) stop.abort(); // the stop arrives with three batches being handled
      await sleep(50);
      return delivered(body);
    },
  });

  await bridge.run(stop.signal);

  expect(bridge.stats.received).toBeGreaterThanOrEqual(25);
  expect(bridge.stats.delivered).toBe(bridge.stats.received);
  expect(sqs.deleteBatchSizes.reduce((a, b) => a + b, 0)).toBe(bridge.stats.received);
});
