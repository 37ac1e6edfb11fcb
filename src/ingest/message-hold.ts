/**
 * Holds a message that Temporal did not accept: pushes its visibility out (ChangeMessageVisibility) so SQS neither
 * hands it out again nor counts another receive towards dead-lettering it, waits the hold policy's delay, and says
 * whether to retry it now. A message it cannot keep (the bridge stops, SQS's 12 h limit, SQS refuses the change) is
 * released: it comes back when its visibility runs out, as any message a stopped bridge did not finish.
 */
import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { abortableSleep } from '../abortable-sleep';
import { asError } from '../as-error';
import type { Logger } from '../logger';
import { nextHoldStep } from './hold-policy';
import type { HoldPolicy } from './hold-policy';

/** A received message the bridge keeps retrying. */
export interface HeldMessage {
  readonly message: Message;
  /** When the bridge received it (epoch ms): SQS's 12 h visibility limit counts from the receive. */
  readonly receivedAtMs: number;
  /** Handling attempts so far that Temporal did not accept. */
  attempts: number;
}

/** The counters a hold moves (the bridge's `BridgeStats`). */
export interface HoldStats {
  visibilityExtended: number;
  released: number;
}

/** What the holder works with. */
export interface MessageHolderOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly policy: HoldPolicy;
  readonly logger: Logger;
  readonly stats: HoldStats;
  readonly now?: () => number;
}

/** Holds messages for retry; one per bridge. */
export class MessageHolder {
  private readonly now: () => number;

  constructor(private readonly options: MessageHolderOptions) {
    this.now = options.now ?? (() => Date.now());
  }

  /**
   * Holds `held` until it may be retried: true when the caller should handle it again, false when it was released.
   * `ready` says whether Temporal is believed to answer again (it may start a probe); while it is not, the hold goes
   * on with longer delays, each covered by a fresh visibility. `signal` is the bridge's stop.
   */
  async hold(held: HeldMessage, signal: AbortSignal, ready: () => boolean): Promise<boolean> {
    const { logger, stats } = this.options;
    const messageId = held.message.MessageId;
    for (;;) {
      if (signal.aborted) return this.release(held, 'the bridge is stopping');
      const step = nextHoldStep(held.attempts, held.receivedAtMs, this.now(), this.options.policy);
      try {
        await this.options.sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: this.options.queueUrl,
            ReceiptHandle: held.message.ReceiptHandle,
            VisibilityTimeout: step.visibilitySeconds,
          }),
        );
      } catch (err) {
        // Not extended: the message comes back after the visibility it has, as it did before holding existed.
        return this.release(held, `ChangeMessageVisibility failed: ${asError(err).message}`);
      }
      if (step.kind === 'release') {
        return this.release(
          held,
          `SQS's 12 h visibility limit: visible again in ${step.visibilitySeconds} s`,
        );
      }
      stats.visibilityExtended += 1;
      logger.debug('Held message: visibility extended', {
        messageId,
        attempt: held.attempts,
        visibilitySeconds: step.visibilitySeconds,
        retryInMs: step.delayMs,
      });
      await abortableSleep(step.delayMs, signal);
      if (signal.aborted) return this.release(held, 'the bridge is stopping');
      if (ready()) return true;
      // Still no Temporal: wait longer, and cover the longer wait with a new visibility first.
      held.attempts += 1;
    }
  }

  private release(held: HeldMessage, why: string): false {
    this.options.stats.released += 1;
    this.options.logger.warn(
      'Held message released to the queue; it comes back when its visibility runs out',
      {
        messageId: held.message.MessageId,
        attempts: held.attempts,
        why,
      },
    );
    return false;
  }
}
