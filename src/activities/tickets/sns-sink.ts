/**
 * Tickets as SNS messages on a tickets topic (for ticketing systems that subscribe, e.g. through email or a queue).
 * The reference is the ticket key; receivers drop repeats by the `ticketKey` attribute.
 */
import { PublishCommand } from '@aws-sdk/client-sns';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Ticket, TicketSink } from './ticket-sink';

/** Publishes tickets to `topicArn`. */
export function snsSink(sns: SNSClient, topicArn: string): TicketSink {
  return {
    name: 'sns',
    async open(ticket: Ticket, abortSignal?: AbortSignal): Promise<string> {
      await sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: ticket.title.replace(/[^\x20-\x7e]/g, '?').slice(0, 100),
          Message: `${ticket.body}\n\n--- machine-readable record ---\n${JSON.stringify(ticket.record)}`,
          MessageAttributes: { ticketKey: { DataType: 'String', StringValue: ticket.key } },
        }),
        abortSignal ? { abortSignal } : {},
      );
      return `sns:${ticket.key}`;
    },
  };
}
