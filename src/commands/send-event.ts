/**
 * `remediator send-event <file.json>`: puts an EventBridge event on a bus (the real delivery path, through the
 * rule to the ingest queue), or straight onto a queue with `--queue-url`.
 */
import { readFileSync } from 'node:fs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { loadAwsSettings } from '../config';
import { parseMessageBody } from '../ingest/envelope';
import type { EventBridgeEnvelope } from '../ingest/envelope';
import { withDetectorTimesNow } from './event-times';

/** Options of send-event. */
export interface SendEventOptions {
  readonly bus: string;
  readonly queueUrl?: string;
}

/** Reads and validates an event file; throws naming the file and what is wrong. */
export function readEventFile(path: string): { text: string; event: EventBridgeEnvelope } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return { text, event: parseMessageBody(text) };
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Puts one event on EventBridge (PutEvents) and returns the event id EventBridge assigned. */
export async function putEvent(
  events: EventBridgeClient,
  event: EventBridgeEnvelope,
  bus: string,
): Promise<string> {
  const out = await events.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: bus,
          Source: event.source,
          DetailType: event['detail-type'],
          Detail: JSON.stringify(event.detail),
          Resources: event.resources,
          // No Time: EventBridge stamps the moment it is put, as it does for a detector's event. A fixture's own
          // time would be older than the policy's maximum event age, and ingest would acknowledge it as stale.
        },
      ],
    }),
  );
  const entry = out.Entries?.[0];
  if (!entry?.EventId || (out.FailedEntryCount ?? 0) > 0) {
    throw new Error(
      `PutEvents rejected the event: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`,
    );
  }
  return entry.EventId;
}

/**
 * The event with `time` set to now and its detector's timestamps moved with it, as EventBridge would deliver it today
 * (an SNS-wrapped or unreadable body is sent as it is). Without it, a fixture's time would soon be older than the policy's maximum event age.
 */
function restamped(text: string): string {
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    if (typeof parsed.time !== 'string' || parsed['detail-type'] === undefined) return text;
    return JSON.stringify(withDetectorTimesNow(parsed));
  } catch {
    return text;
  }
}

/** Runs the command. */
export async function sendEvent(path: string, options: SendEventOptions): Promise<string> {
  const { text, event } = readEventFile(path);
  const aws = loadAwsSettings();
  const common = { region: aws.region, ...(aws.endpoint ? { endpoint: aws.endpoint } : {}) };
  if (options.queueUrl) {
    const sqs = new SQSClient(common);
    try {
      const out = await sqs.send(
        new SendMessageCommand({ QueueUrl: options.queueUrl, MessageBody: restamped(text) }),
      );
      return `sent ${event['detail-type']} to ${options.queueUrl} as message ${out.MessageId ?? '?'}`;
    } finally {
      sqs.destroy();
    }
  }
  const events = new EventBridgeClient(common);
  try {
    const id = await putEvent(events, withDetectorTimesNow(event), options.bus);
    return `put ${event['detail-type']} on bus '${options.bus}' as event ${id}`;
  } finally {
    events.destroy();
  }
}
