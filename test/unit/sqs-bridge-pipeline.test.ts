/**
 * The bridge's pipeline against an in-memory SQS that hands each message out exactly once (unlike moto, whose
 * concurrent receives can race): several receivers at once, the bound on messages in flight, batched deletes with a
 * refused entry, a Temporal outage that pauses every receiver behind a single probe, and a stop that waits for
 * in-flight settles.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type {
  BatchResultErrorEntry,
  DeleteMessageBatchRequest,
  Message,
  ReceiveMessageRequest,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Logger } from '../../src/logger';
import { silentLogger } from '../../src/logger';
import type { Disposition } from '../../src/ingest/message-handler';
import { TemporalUnavailableError } from '../../src/ingest/message-handler';
import { SqsBridge } from '../../src/ingest/sqs-bridge';
import type { BridgeOptions } from '../../src/ingest/sqs-bridge';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

/**
 * An SQS queue in memory: a receive long-polls until a message arrives, its wait time ends (empty answer) or the call
 * is aborted; each call takes ~1 ms.
 */
class FakeSqs {
  readonly calls = new Map<string, number>();
  readonly deleteBatchSizes: number[] = [];
  readonly deadLettered: string[] = [];
  /** Message ids whose delete SQS refuses (as for an expired receipt handle). */
  readonly refuse = new Set<string>();
  receivesInFlight = 0;
  maxReceivesInFlight = 0;
  private visible: Message[] = [];
  private readonly received = new Map<string, Message>();
  private arrivals: (() => void)[] = [];
  private seq = 0;

  get client(): SQSClient {
    return this as unknown as SQSClient;
  }

  add(...bodies: string[]): void {
    for (const body of bodies) this.visible.push({ MessageId: `m${(this.seq += 1)}`, Body: body });
    const waiting = this.arrivals;
    this.arrivals = [];
    for (const wake of waiting) wake();
  }

  /** What the visibility timeout does: what was received and not deleted becomes visible again. */
  redeliver(): void {
    const back = [...this.received.values()];
    this.received.clear();
    this.add(...back.map((m) => m.Body ?? ''));
  }

  async send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown> {
    const name = (command as object).constructor.name;
    this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
    await sleep(1);
    if (command instanceof ReceiveMessageCommand) return this.receive(command.input, options?.abortSignal);
    if (command instanceof DeleteMessageBatchCommand) return this.deleteBatch(command.input);
    if (command instanceof SendMessageCommand) {
      this.deadLettered.push(command.input.MessageBody ?? '');
      return {};
    }
    throw new Error(`unexpected ${name}`);
  }

  private async receive(input: ReceiveMessageRequest, signal?: AbortSignal): Promise<unknown> {
    this.maxReceivesInFlight = Math.max(this.maxReceivesInFlight, (this.receivesInFlight += 1));
    try {
      const waitEndsAt = Date.now() + (input.WaitTimeSeconds ?? 0) * 1000;
      while (this.visible.length === 0) {
        if (Date.now() >= waitEndsAt) return { Messages: [] };
        await new Promise<void>((resolve, reject) => {
          const aborted = () => reject(new Error('aborted'));
          if (signal?.aborted) return aborted();
          const waitEnds = setTimeout(wake, waitEndsAt - Date.now());
          signal?.addEventListener('abort', aborted, { once: true });
          this.arrivals.push(wake);
          function wake(): void {
            clearTimeout(waitEnds);
            signal?.removeEventListener('abort', aborted);
            resolve();
          }
        });
      }
      const messages = this.visible.splice(0, input.MaxNumberOfMessages ?? 1).map((m) => {
        const receiptHandle = `${m.MessageId}/${(this.seq += 1)}`;
        this.received.set(receiptHandle, m);
        return { ...m, ReceiptHandle: receiptHandle };
      });
      return { Messages: messages };
    } finally {
      this.receivesInFlight -= 1;
    }
  }

  private deleteBatch(input: DeleteMessageBatchRequest): unknown {
    const entries = input.Entries ?? [];
    this.deleteBatchSizes.push(entries.length);
    const successful: { Id: string }[] = [];
    const failed: BatchResultErrorEntry[] = [];
    for (const { Id, ReceiptHandle } of entries) {
      const message = this.received.get(ReceiptHandle ?? '');
      if (!message || this.refuse.has(message.MessageId ?? '')) {
        failed.push({ Id, Code: 'ReceiptHandleIsInvalid', Message: 'refused', SenderFault: true });
      } else {
        this.received.delete(ReceiptHandle ?? '');
        successful.push({ Id: Id ?? '' });
      }
    }
    return { Successful: successful, Failed: failed };
  }
}

const delivered = (body: string): Disposition => ({
  kind: 'delivered',
  workflowId: `wf/${body}`,
  eventId: body,
  resourceId: body,
  playbook: 'p',
});

function bridgeOn(sqs: FakeSqs, options: Partial<BridgeOptions>): SqsBridge {
  return new SqsBridge({
    sqs: sqs.client,
    queueUrl: 'https://sqs.local/ingest',
    deadLetterQueueUrl: 'https://sqs.local/dlq',
    handleMessage: async (body) => delivered(body),
    checkTemporal: async () => undefined,
    logger: silentLogger,
    // A short long poll (fractions of a second are the fake's, SQS takes whole seconds): a stop waits for it to end.
    waitTimeSeconds: 0.2,
    backoffInitialMs: 10,
    backoffMaxMs: 20,
    ...options,
  });
}

const bodies = (n: number, prefix = 'e') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

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
    outages: 0,
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

it('pauses every receiver during an outage behind one probe, and resumes them all when Temporal is back', async () => {
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

  // Temporal goes down; the next messages are left on the queue and every long poll stops.
  temporal.down = true;
  sqs.add(...bodies(3));
  await until(() => bridge.stats.deferred === 3 && sqs.receivesInFlight === 0);
  const receives = sqs.calls.get('ReceiveMessageCommand');
  const probes = temporal.probes;
  sqs.redeliver();
  await sleep(200);
  expect(sqs.calls.get('ReceiveMessageCommand')).toBe(receives);
  expect(temporal.probes).toBeGreaterThan(probes);
  expect(bridge.stats).toMatchObject({ received: 3, delivered: 0, deferred: 3, outages: 1 });

  // Back: every receiver resumes and the messages are delivered.
  temporal.down = false;
  await until(() => bridge.stats.delivered === 3 && sqs.receivesInFlight === 4);
  stop.abort();
  await run;

  expect(temporal.maxProbing).toBe(1);
  expect(bridge.stats).toEqual({
    received: 6,
    delivered: 3,
    acknowledged: 0,
    deadLettered: 0,
    deferred: 3,
    outages: 1,
  });
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
