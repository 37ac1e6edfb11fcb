/**
 * The ingest bridge loop: long-polls the queue, hands each body to the message handler, and settles each message:
 * delete after Temporal accepted it (or it needed no action), move to the dead-letter queue with the reason when it is
 * invalid, and leave it on the queue when Temporal is unavailable. While Temporal is down the loop stops receiving
 * (so SQS does not count receives towards dead-lettering good events), backs off and resumes.
 */
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from '../logger';
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
  readonly maxMessages?: number;
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
}

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

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** Runs the bridge until `signal` aborts; in-flight messages are finished before it returns. */
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
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;

  constructor(private readonly options: BridgeOptions) {
    this.waitTimeSeconds = options.waitTimeSeconds ?? 20;
    this.maxMessages = options.maxMessages ?? 10;
    this.backoffInitialMs = options.backoffInitialMs ?? 1000;
    this.backoffMaxMs = options.backoffMaxMs ?? 60_000;
  }

  /** The receive loop. */
  async run(signal: AbortSignal): Promise<void> {
    const { logger } = this.options;
    let backoffMs = this.backoffInitialMs;
    let temporalUp = false;
    logger.info('Ingest bridge started', {
      queueUrl: this.options.queueUrl,
      deadLetterQueueUrl: this.options.deadLetterQueueUrl,
    });
    while (!signal.aborted) {
      if (!temporalUp) {
        try {
          await this.options.checkTemporal();
          temporalUp = true;
          backoffMs = this.backoffInitialMs;
          logger.info('Temporal reachable; receiving');
        } catch (err) {
          logger.warn('Temporal unreachable; not receiving', {
            retryInMs: backoffMs,
            error: (err as Error).message,
          });
          await abortableSleep(backoffMs, signal);
          backoffMs = Math.min(backoffMs * 2, this.backoffMaxMs);
          continue;
        }
      }
      let messages: Message[];
      try {
        const out = await this.options.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.options.queueUrl,
            MaxNumberOfMessages: this.maxMessages,
            WaitTimeSeconds: this.waitTimeSeconds,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
          { abortSignal: signal },
        );
        messages = out.Messages ?? [];
      } catch (err) {
        if (signal.aborted) break;
        logger.error('ReceiveMessage failed; backing off', {
          error: (err as Error).message,
          retryInMs: backoffMs,
        });
        await abortableSleep(backoffMs, signal);
        backoffMs = Math.min(backoffMs * 2, this.backoffMaxMs);
        continue;
      }
      this.stats.received += messages.length;
      // In-flight messages are always finished, even when a stop arrives meanwhile.
      const results = await Promise.all(messages.map((m) => this.settle(m)));
      if (results.includes('outage')) {
        temporalUp = false;
        this.stats.outages += 1;
      }
    }
    logger.info('Ingest bridge stopped', { ...this.stats });
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
      disposition = { kind: 'dead-letter', reason: `unexpected error: ${(err as Error).message}` };
    }
    try {
      if (disposition.kind === 'dead-letter') {
        await this.deadLetter(message, disposition.reason);
        this.stats.deadLettered += 1;
        logger.warn('Message dead-lettered', { messageId, reason: disposition.reason });
      } else {
        await this.delete(message);
        if (disposition.kind === 'delivered') {
          this.stats.delivered += 1;
          logger.info('Finding delivered', { messageId, ...disposition });
        } else {
          this.stats.acknowledged += 1;
          logger.info('Message acknowledged, no action', { messageId, ...disposition });
        }
      }
    } catch (err) {
      // Not deleted ⇒ SQS redelivers it after the visibility timeout; delivery to Temporal is idempotent.
      logger.error('Could not settle message; it will be redelivered', {
        messageId,
        error: (err as Error).message,
      });
    }
    return 'ok';
  }

  private async delete(message: Message): Promise<void> {
    await this.options.sqs.send(
      new DeleteMessageCommand({ QueueUrl: this.options.queueUrl, ReceiptHandle: message.ReceiptHandle }),
    );
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
    await this.delete(message);
  }
}
