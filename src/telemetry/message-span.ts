/**
 * The ingest bridge's span per received message (docs/observability.md, Traces): kind CONSUMER, `ingest message`,
 * around the whole handling of one message (holds and retries included) until it is settled, so the signal-with-start
 * the dispatcher makes is its child and the workflow's trace starts here. Attributes: the messaging conventions'
 * system, operation, queue and message id, and how the message was settled (`remediator.disposition`).
 */
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
} from './attributes';

/** The span's name. */
export const MESSAGE_SPAN_NAME = 'ingest message';

/** Attribute naming how the message was settled: `delivered`, `acknowledged`, `dead-letter` or `released`. */
export const ATTR_DISPOSITION = 'remediator.disposition';

/** Attribute counting the handling attempts Temporal did not accept (the message was held meanwhile). */
export const ATTR_HELD_ATTEMPTS = 'remediator.held_attempts';

/** How a handled message ended, as the span records it. */
export interface MessageSettlement {
  readonly disposition: string;
  readonly heldAttempts: number;
}

/** Runs `handle` for one message inside its span; the span ends when `handle` settles. */
export async function inMessageSpan(
  message: { readonly MessageId?: string },
  queueUrl: string,
  handle: () => Promise<MessageSettlement>,
): Promise<void> {
  const attributes = {
    [ATTR_MESSAGING_SYSTEM]: 'aws_sqs',
    [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
    [ATTR_MESSAGING_DESTINATION_NAME]: queueUrl.slice(queueUrl.lastIndexOf('/') + 1),
    ...(message.MessageId ? { [ATTR_MESSAGING_MESSAGE_ID]: message.MessageId } : {}),
  };
  await trace
    .getTracer('remediator.ingest')
    .startActiveSpan(MESSAGE_SPAN_NAME, { kind: SpanKind.CONSUMER, attributes }, async (span) => {
      try {
        const { disposition, heldAttempts } = await handle();
        span.setAttribute(ATTR_DISPOSITION, disposition);
        if (heldAttempts > 0) span.setAttribute(ATTR_HELD_ATTEMPTS, heldAttempts);
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'Error' });
        throw err;
      } finally {
        span.end();
      }
    });
}
