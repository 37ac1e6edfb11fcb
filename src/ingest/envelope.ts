/**
 * Zod schemas for what arrives on the ingest queue: an EventBridge event as EventBridge's SQS target delivers it, or
 * the same event wrapped in an SNS notification (`Type: Notification`). `detail` is validated per detail-type by the
 * normalisers.
 */
import { z } from 'zod';
import { ACCOUNT_ID_PATTERN } from '../domain/finding';
import { IngestRejection } from './rejection';

/** An EventBridge event envelope. */
export const eventBridgeEnvelopeSchema = z.object({
  version: z.string(),
  id: z.string().min(1).max(256),
  'detail-type': z.string().min(1).max(256),
  source: z.string().min(1).max(256),
  // The account the event comes from: the finding's own, or a delegated administrator's for the GuardDuty and Security
  // Hub findings of its members (the trust gate, src/ingest/trust-gate.ts, holds it to that). AWS always sets it, and
  // bus-to-bus forwarding keeps the origin's. moto 5.2.1's EventBridge does not: the default input template of its SQS
  // targets leaves it out (the local stack supplies moto's account instead). Optional here so that a message without
  // one is refused by the gate with its own reason rather than a schema error.
  account: z.string().regex(ACCOUNT_ID_PATTERN, 'must be a 12-digit account id').optional(),
  time: z.string().min(1),
  region: z.string().min(1).max(64),
  resources: z.array(z.string()).default([]),
  detail: z.record(z.string(), z.unknown()),
});

/** A validated EventBridge event. */
export type EventBridgeEnvelope = z.infer<typeof eventBridgeEnvelopeSchema>;

/** An SNS notification as SNS delivers it to an SQS subscription without raw delivery. */
export const snsNotificationSchema = z.object({
  Type: z.literal('Notification'),
  MessageId: z.string().min(1),
  TopicArn: z.string().min(1),
  Message: z.string().min(1),
});

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new IngestRejection(`${what} is not JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** Parses an SQS message body into an EventBridge envelope, unwrapping one SNS notification if present. */
export function parseMessageBody(body: string): EventBridgeEnvelope {
  let document = parseJson(body, 'message body');
  const sns = snsNotificationSchema.safeParse(document);
  if (sns.success) document = parseJson(sns.data.Message, 'SNS Message');
  const parsed = eventBridgeEnvelopeSchema.safeParse(document);
  if (!parsed.success) {
    throw new IngestRejection(`not an EventBridge event: ${describe(parsed.error)}`, { cause: parsed.error });
  }
  return parsed.data;
}

/** Validates `detail` against a detail-type's schema, rejecting with the field paths that failed. */
export function parseDetail<T extends z.ZodType>(schema: T, envelope: EventBridgeEnvelope): z.infer<T> {
  const parsed = schema.safeParse(envelope.detail);
  if (!parsed.success) {
    throw new IngestRejection(`invalid '${envelope['detail-type']}' detail: ${describe(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}
