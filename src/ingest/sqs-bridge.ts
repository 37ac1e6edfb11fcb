/**
 * The ingest bridge: long-polls the queue, hands each body to the message handler and settles each message: delete
 * after Temporal accepted it (or it needed no action), move to the dead-letter queue with the reason when it is
 * invalid, and hold it when Temporal does not accept it (throttled or unreachable). While Temporal is down no receiver
 * receives (so SQS does not count receives towards dead-lettering good events) and one probe backs off until it
 * answers. A held message stays received: its visibility is pushed out with backoff (message-hold.ts) and the bridge
 * retries it itself, so neither an outage nor a throttle counts receives against it; a throttle needs no probe, and
 * held messages fill `maxInFlight`, which stops the receiving.
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
import type { MetricsRecorder } from '../metrics/recorder';
import { inMessageSpan } from '../telemetry/message-span';
import type { MessageSettlement } from '../telemetry/message-span';
import { DeleteBatcher } from './delete-batcher';
import type { Disposition } from './message-handler';
import { TemporalUnavailableError } from './message-handler';
import { MessageHolder } from './message-hold';
import type { HeldMessage } from './message-hold';

/** Collaborators and knobs of the bridge. */
export interface BridgeOptions {
  /** Where the polls and the messages' ages are counted (docs/observability.md); none when absent. */
  readonly metrics?: MetricsRecorder;
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
  /** First delay of every backoff: the probe, a failed receive, a held message's retry (default 1 s). */
  readonly backoffInitialMs?: number;
  /** Cap of those delays (default 60 s). */
  readonly backoffMaxMs?: number;
  /**
   * A held message's visibility beyond its retry delay, so the retry finishes before it could reappear (default 60 s;
   * Temporal's SDK alone retries a throttled call for about half a minute).
   */
  readonly heldVisibilityMarginSeconds?: number;
}

/** Batches received and not yet settled at once, by default (`maxInFlight` is this times `maxMessages`). */
export const DEFAULT_BATCHES_IN_FLIGHT = 4;

/** Counters the bridge keeps, for logs, tests and benchmarks. */
export interface BridgeStats {
  received: number;
  delivered: number;
  acknowledged: number;
  deadLettered: number;
  /** Handling attempts Temporal did not accept (throttled or unreachable); each message is held and retried. */
  deferred: number;
  /** Of those, the attempts Temporal answered with RESOURCE_EXHAUSTED. */
  throttled: number;
  /** Reachable periods that ended because Temporal did not answer. */
  outages: number;
  /** Held messages handled again by the bridge (no new receive). */
  retried: number;
  /** ChangeMessageVisibility calls that kept a held message invisible. */
  visibilityExtended: number;
  /** Held messages let go before Temporal accepted them (stop, the 12 h limit, a failed visibility change). */
  released: number;
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
    throttled: 0,
    outages: 0,
    retried: 0,
    visibilityExtended: 0,
    released: 0,
  };
  private readonly waitTimeSeconds: number;
  private readonly maxMessages: number;
  private readonly receivers: number;
  private readonly maxInFlight: number;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  private readonly deletes: DeleteBatcher;
  private readonly holder: MessageHolder;
  /** The stop of the current `run`: it ends held messages' waits (they are released) and the probe. */
  private stopSignal: AbortSignal = new AbortController().signal;
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
    this.holder = new MessageHolder({
      sqs: options.sqs,
      queueUrl: options.queueUrl,
      policy: {
        initialDelayMs: this.backoffInitialMs,
        maxDelayMs: this.backoffMaxMs,
        marginSeconds: options.heldVisibilityMarginSeconds ?? 60,
      },
      logger: options.logger,
      stats: this.stats,
    });
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
    this.stopSignal = signal;
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
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          }),
          { abortSignal: receiveSignal.signal },
        );
        messages = out.Messages ?? [];
        backoffMs = this.backoffInitialMs;
        this.options.metrics?.record('ingestPolls', { result: 'ok' });
      } catch (err) {
        this.release(this.maxMessages);
        if (!signal.aborted && !force?.aborted && !reachable.signal.aborted) {
          this.options.metrics?.record('ingestPolls', { result: 'error' });
        }
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
        const receivedAtMs = Date.now();
        this.recordAges(messages, receivedAtMs);
        const batch = this.settleBatch(messages, receivedAtMs, reachable).finally(() =>
          this.settling.delete(batch),
        );
        this.settling.add(batch);
      }
    }
  }

  /** How long each message had waited in the queue (its `SentTimestamp`) when it was received. */
  private recordAges(messages: readonly Message[], receivedAtMs: number): void {
    const metrics = this.options.metrics;
    if (!metrics) return;
    for (const m of messages) {
      const sentMs = Number(m.Attributes?.SentTimestamp);
      if (Number.isFinite(sentMs) && sentMs > 0) {
        metrics.record('ingestMessageAge', {}, Math.max(0, receivedAtMs - sentMs) / 1000);
      }
    }
  }

  /** Settles a batch in parallel; an outage it meets pauses every receiver until the probe sees Temporal again. */
  private async settleBatch(
    messages: Message[],
    receivedAtMs: number,
    reachable: AbortController,
  ): Promise<void> {
    await Promise.all(
      messages.map((m) =>
        // Each message's handling is one span, where the trace of the workflow it starts begins
        // (docs/observability.md, Traces).
        inMessageSpan(m, this.options.queueUrl, () =>
          this.settle({ message: m, receivedAtMs, attempts: 0 }, reachable),
        ).finally(() => this.release(1)),
      ),
    );
  }

  /**
   * Ends the reachable period `reachable` (once, however many settles of it fail): receivers stop and their long polls
   * are cut short until the probe sees Temporal again.
   */
  private markUnreachable(reachable: AbortController): void {
    if (this.reachable !== reachable) return;
    this.reachable = undefined;
    reachable.abort();
    this.stats.outages += 1;
  }

  /** For held messages: whether Temporal is believed to answer; if not, makes sure the one probe is running. */
  private temporalReady(): boolean {
    if (this.reachable) return true;
    this.probing ??= this.probe(this.stopSignal).finally(() => (this.probing = undefined));
    return false;
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

  /**
   * Handles one message until it is settled or released, holding it while Temporal does not accept it; returns how
   * it ended.
   */
  private async settle(held: HeldMessage, reachable: AbortController): Promise<MessageSettlement> {
    for (;;) {
      const disposition = await this.handle(held, reachable);
      if (disposition) {
        await this.settleAs(held, disposition);
        return { disposition: disposition.kind, heldAttempts: held.attempts };
      }
      if (!(await this.holder.hold(held, this.stopSignal, () => this.temporalReady()))) {
        return { disposition: 'released', heldAttempts: held.attempts };
      }
      this.stats.retried += 1;
      // The retry belongs to the reachable period it runs in: a failure in it ends that one.
      reachable = this.reachable ?? reachable;
    }
  }

  /** One handling attempt: the disposition, or undefined when Temporal did not accept it (hold and retry). */
  private async handle(held: HeldMessage, reachable: AbortController): Promise<Disposition | undefined> {
    try {
      return await this.options.handleMessage(held.message.Body ?? '');
    } catch (err) {
      if (!(err instanceof TemporalUnavailableError)) {
        return { kind: 'dead-letter', reason: `unexpected error: ${asError(err).message}` };
      }
      held.attempts += 1;
      this.stats.deferred += 1;
      // Throttled, Temporal answers: receiving goes on until held messages fill maxInFlight. Unreachable: everyone waits
      // for the probe.
      if (err.throttled) this.stats.throttled += 1;
      else this.markUnreachable(reachable);
      const fields = {
        messageId: held.message.MessageId,
        attempt: held.attempts,
        error: err.message,
      };
      const what = err.throttled ? 'Temporal throttled the request' : 'Temporal unavailable';
      // One warning per message; its further attempts are debug lines (a throttle can last many of them).
      if (held.attempts === 1) {
        this.options.logger.warn(
          `${what}; message held, its visibility extended, retried with backoff`,
          fields,
        );
      } else this.options.logger.debug(`${what}; message still held`, fields);
      return undefined;
    }
  }

  private async settleAs(held: HeldMessage, disposition: Disposition): Promise<void> {
    const { logger } = this.options;
    const { message } = held;
    const messageId = message.MessageId;
    // Attempts that Temporal did not accept, when there were any (the message was held).
    const heldFor = held.attempts > 0 ? { heldAttempts: held.attempts } : {};
    try {
      if (disposition.kind === 'dead-letter') {
        await this.deadLetter(message, disposition.reason);
        this.stats.deadLettered += 1;
        logger.warn('Message dead-lettered', { messageId, reason: disposition.reason });
      } else {
        await this.deletes.delete(message);
        if (disposition.kind === 'delivered') {
          this.stats.delivered += 1;
          logger.info('Finding delivered', { messageId, ...heldFor, ...disposition });
        } else {
          this.stats.acknowledged += 1;
          logger.info('Message acknowledged, no action', { messageId, ...heldFor, ...disposition });
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
