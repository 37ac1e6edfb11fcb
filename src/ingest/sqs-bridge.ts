/**
 * The ingest bridge: long-polls the queue, hands each body to the message handler and settles each message: delete
 * after Temporal accepted it (or it needed no action), move to the dead-letter queue with the reason when it is
 * invalid, and leave it on the queue when Temporal is unavailable. While Temporal is down no receiver receives (so SQS
 * does not count receives towards dead-lettering good events) and one probe backs off until it answers.
 *
 * Throughput comes from overlap rather than bigger receives: the next batch is received while earlier ones are being
 * settled (up to `maxInFlight` messages), and deletes go to SQS ten at a time (DeleteMessageBatch), so the
 * per-request cost is paid once per batch instead of once per message.
 */
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { abortableSleep } from '../abortable-sleep';
import { asError } from '../as-error';
import { linkedSignal } from '../linked-signal';
import type { Logger } from '../logger';
import { DeleteBatcher } from './delete-batcher';
import type { Disposition } from './message-handler';
import { TemporalUnavailableError } from './message-handler';

/** Collaborators and knobs of the bridge. */
export interface BridgeOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly handleMessage: (body: string) => Promise<Disposition>;
  /** Resolves when Temporal answers; rejects while it does not. */
  readonly checkTemporal: () => Promise<void>;
  readonly logger: Logger;
  readonly waitTimeSeconds?: number;
  /** Messages per receive (1–10, default 10), settled in parallel. */
  readonly maxMessages?: number;
  /**
   * ReceiveMessage calls in flight at once (default 1). One long poll keeps the queue busy already, since receiving
   * does not wait for settling; more help when one round trip to SQS is the limit. (On moto, concurrent receives can
   * hand out the same message twice: harmless, delivery is idempotent, but it skews counts.)
   */
  readonly receivers?: number;
  /**
   * Messages received and not yet settled, across receivers (at least `maxMessages`; default 4 batches, or one per
   * receiver if more): the bound on concurrent handling, and so on concurrent calls to Temporal.
   */
  readonly maxInFlight?: number;
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
}

/** Batches received and not yet settled at once, by default (`maxInFlight` is this times `maxMessages`). */
export const DEFAULT_BATCHES_IN_FLIGHT = 4;

/** Counters the bridge keeps, for logs, tests and benchmarks. */
export interface BridgeStats {
  received: number;
  delivered: number;
  acknowledged: number;
  deadLettered: number;
  deferred: number;
  outages: number;
}

/** Finds the dead-letter queue from the source queue's redrive policy. */
export async function discoverDeadLetterQueue(sqs: SQSClient, queueUrl: string): Promise<string | undefined> {
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] }),
  );
  const redrive = attrs.Attributes?.RedrivePolicy;
  if (!redrive) return undefined;
  const arn = (JSON.parse(redrive) as { deadLetterTargetArn?: string }).deadLetterTargetArn;
  const parts = arn?.split(':');
  const name = parts?.[5];
  if (!name) return undefined;
  const out = await sqs.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: parts?.[4] }));
  return out.QueueUrl;
}

/**
 * Runs the bridge until `signal` aborts; in-flight messages are finished before it returns.
 *
 * Receiving and settling overlap: a receive loop hands each batch to the background and receives again as soon as a
 * full batch fits under `maxInFlight`. Every settle is awaited by `run` before it resolves.
 */
export class SqsBridge {
  readonly stats: BridgeStats = {
    received: 0,
    delivered: 0,
    acknowledged: 0,
    deadLettered: 0,
    deferred: 0,
    outages: 0,
  };
  private readonly waitTimeSeconds: number;
  private readonly maxMessages: number;
  private readonly receivers: number;
  private readonly maxInFlight: number;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  private readonly deletes: DeleteBatcher;
  /**
   * Set while Temporal is believed reachable; aborted and cleared when a settle finds it is not, which also cuts the
   * other receivers' long polls short. A fresh one per reachable period, so a late failure from an earlier period
   * does not count as a new outage.
   */
  private reachable: AbortController | undefined;
  /** The one probe in progress while Temporal is not reachable; every receiver waits on it. */
  private probing: Promise<void> | undefined;
  /** Messages received, or room reserved by a receive in flight, and not yet settled. */
  private inFlight = 0;
  /** Receivers waiting for room; woken by every settle and by the stop. */
  private waitingForRoom: (() => void)[] = [];
  /** Batches still settling, for the stop to wait on. */
  private readonly settling = new Set<Promise<void>>();

  constructor(private readonly options: BridgeOptions) {
    this.waitTimeSeconds = options.waitTimeSeconds ?? 20;
    this.maxMessages = options.maxMessages ?? 10;
    this.receivers = Math.max(1, Math.floor(options.receivers ?? 1));
    // At least one full batch, or no receive could ever start.
    const defaultMaxInFlight = Math.max(DEFAULT_BATCHES_IN_FLIGHT, this.receivers) * this.maxMessages;
    this.maxInFlight = Math.max(options.maxInFlight ?? defaultMaxInFlight, this.maxMessages);
    this.backoffInitialMs = options.backoffInitialMs ?? 1000;
    this.backoffMaxMs = options.backoffMaxMs ?? 60_000;
    this.deletes = new DeleteBatcher(options.sqs, options.queueUrl);
  }

  /**
   * Runs the receive loops until `signal` aborts, then waits for every message they received to be settled.
   *
   * A stop starts no new receive but lets the long polls in flight return (within `waitTimeSeconds`) and settles what
   * they bring: SQS counts a message as received when it answers, so a poll cut short by the client would leave the
   * messages of that answer invisible until their visibility timeout ran out. `force` cuts the polls short anyway and
   * ends the loops as a stop does; messages already received are still settled.
   */
  async run(signal: AbortSignal, force?: AbortSignal): Promise<void> {
    const { logger } = this.options;
    logger.info('Ingest bridge started', {
      queueUrl: this.options.queueUrl,
      deadLetterQueueUrl: this.options.deadLetterQueueUrl,
      receivers: this.receivers,
      maxInFlight: this.maxInFlight,
    });
    const wake = (): void => this.wakeReceivers();
    signal.addEventListener('abort', wake, { once: true });
    await Promise.all(Array.from({ length: this.receivers }, () => this.receiveLoop(signal, force)));
    signal.removeEventListener('abort', wake);
    // In-flight messages are always finished, even when a stop arrives meanwhile.
    while (this.settling.size > 0) await Promise.all(this.settling);
    logger.info('Ingest bridge stopped', { ...this.stats });
  }

  /** One receiver: receives until `signal` (stop) aborts; `force` also cuts its long poll in flight short. */
  private async receiveLoop(signal: AbortSignal, force?: AbortSignal): Promise<void> {
    let backoffMs = this.backoffInitialMs;
    while (await this.reserveBatch(signal)) {
      const reachable = await this.whenReachable(signal);
      if (!reachable) {
        this.release(this.maxMessages);
        break;
      }
      let messages: Message[];
      // Not the stop signal: a poll in flight finishes and its messages are settled (see `run`).
      const receiveSignal = linkedSignal(force ? [reachable.signal, force] : [reachable.signal]);
      try {
        const out = await this.options.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.options.queueUrl,
            MaxNumberOfMessages: this.maxMessages,
            WaitTimeSeconds: this.waitTimeSeconds,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
          { abortSignal: receiveSignal.signal },
        );
        messages = out.Messages ?? [];
        backoffMs = this.backoffInitialMs;
      } catch (err) {
        this.release(this.maxMessages);
        if (signal.aborted || force?.aborted) {
          // A poll a forced stop cut short ends here quietly; any other failure while stopping is worth a line.
          if (!receiveSignal.signal.aborted) {
            this.options.logger.warn('ReceiveMessage failed while stopping', { error: asError(err).message });
          }
          break;
        }
        if (reachable.signal.aborted) continue; // an outage cut the long poll short: wait for the probe
        this.options.logger.error('ReceiveMessage failed; backing off', {
          error: asError(err).message,
          retryInMs: backoffMs,
        });
        await abortableSleep(backoffMs, signal);
        backoffMs = Math.min(backoffMs * 2, this.backoffMaxMs);
        continue;
      } finally {
        receiveSignal.release();
      }
      this.stats.received += messages.length;
      this.release(this.maxMessages - messages.length);
      if (messages.length > 0) {
        const batch = this.settleBatch(messages, reachable).finally(() => this.settling.delete(batch));
        this.settling.add(batch);
      }
    }
  }

  /** Settles a batch in parallel; an outage it meets pauses every receiver until the probe sees Temporal again. */
  private async settleBatch(messages: Message[], reachable: AbortController): Promise<void> {
    const results = await Promise.all(messages.map((m) => this.settle(m).finally(() => this.release(1))));
    if (results.includes('outage') && this.reachable === reachable) {
      this.reachable = undefined;
      reachable.abort();
      this.stats.outages += 1;
    }
  }

  /**
   * Waits until a full batch fits under `maxInFlight` and reserves it, before the receive, so that receivers together
   * never exceed the bound; false once stopped. What the receive does not fill is released after it.
   */
  private async reserveBatch(signal: AbortSignal): Promise<boolean> {
    while (this.inFlight + this.maxMessages > this.maxInFlight && !signal.aborted) {
      await new Promise<void>((resolve) => this.waitingForRoom.push(resolve));
    }
    if (signal.aborted) return false;
    this.inFlight += this.maxMessages;
    return true;
  }

  private release(count: number): void {
    this.inFlight -= count;
    if (count > 0) this.wakeReceivers();
  }

  private wakeReceivers(): void {
    const waiting = this.waitingForRoom;
    this.waitingForRoom = [];
    for (const wake of waiting) wake();
  }

  /** Temporal's current reachable period, once there is one (only one receiver probes); undefined once stopped. */
  private async whenReachable(signal: AbortSignal): Promise<AbortController | undefined> {
    while (!this.reachable && !signal.aborted) {
      this.probing ??= this.probe(signal).finally(() => (this.probing = undefined));
      await this.probing;
    }
    return signal.aborted ? undefined : this.reachable;
  }

  private async probe(signal: AbortSignal): Promise<void> {
    let backoffMs = this.backoffInitialMs;
    while (!signal.aborted) {
      try {
        await this.options.checkTemporal();
        this.reachable = new AbortController();
        this.options.logger.info('Temporal reachable; receiving');
        return;
      } catch (err) {
        this.options.logger.warn('Temporal unreachable; not receiving', {
          retryInMs: backoffMs,
          error: asError(err).message,
        });
        await abortableSleep(backoffMs, signal);
        backoffMs = Math.min(backoffMs * 2, this.backoffMaxMs);
      }
    }
  }

  private async settle(message: Message): Promise<'ok' | 'outage'> {
    const { logger } = this.options;
    const messageId = message.MessageId;
    let disposition: Disposition;
    try {
      disposition = await this.options.handleMessage(message.Body ?? '');
    } catch (err) {
      if (err instanceof TemporalUnavailableError) {
        this.stats.deferred += 1;
        logger.warn('Temporal unavailable; message left on the queue', { messageId, error: err.message });
        return 'outage';
      }
      disposition = { kind: 'dead-letter', reason: `unexpected error: ${asError(err).message}` };
    }
    try {
      if (disposition.kind === 'dead-letter') {
        await this.deadLetter(message, disposition.reason);
        this.stats.deadLettered += 1;
        logger.warn('Message dead-lettered', { messageId, reason: disposition.reason });
      } else {
        await this.deletes.delete(message);
        if (disposition.kind === 'delivered') {
          this.stats.delivered += 1;
          logger.info('Finding delivered', { messageId, ...disposition });
        } else {
          this.stats.acknowledged += 1;
          logger.info('Message acknowledged, no action', { messageId, ...disposition });
        }
      }
    } catch (err) {
      // Not deleted (the request failed, or SQS refused this entry of the batch) ⇒ SQS redelivers it after the
      // visibility timeout, which is harmless by construction: delivery to Temporal is idempotent (signal-with-start
      // on the resource's workflow id); an invalid message is at worst dead-lettered twice.
      logger.error('Could not settle message; it will be redelivered', {
        messageId,
        error: asError(err).message,
      });
    }
    return 'ok';
  }

  private async deadLetter(message: Message, reason: string): Promise<void> {
    await this.options.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.options.deadLetterQueueUrl,
        MessageBody: message.Body && message.Body.length > 0 ? message.Body : '(empty body)',
        MessageAttributes: {
          ErrorReason: { DataType: 'String', StringValue: reason.slice(0, 4000) },
          SourceQueueUrl: { DataType: 'String', StringValue: this.options.queueUrl },
          SourceMessageId: { DataType: 'String', StringValue: message.MessageId ?? 'unknown' },
        },
      }),
    );
    // Only after the copy is safe on the dead-letter queue does the original go.
    await this.deletes.delete(message);
  }
}
