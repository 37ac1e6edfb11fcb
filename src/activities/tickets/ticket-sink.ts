/**
 * Where tickets for findings a person must handle go. Every sink is idempotent per finding and run: `key` is stable
 * across activity retries, so a retry finds or repeats the same ticket instead of opening a second one.
 */
import type { Finding } from '../../domain/finding';

/** A ticket as every sink receives it. */
export interface Ticket {
  /** `<runId>/<finding eventId>`: the same for every retry of one escalation. */
  readonly key: string;
  /** One line: what and where. */
  readonly title: string;
  /** For a person: what happened, why a human is needed, where to look (the Temporal UI link). */
  readonly body: string;
  /** The machine-readable part. */
  readonly record: {
    readonly workflowId: string;
    readonly runId: string;
    readonly playbook: string;
    readonly reason: string;
    readonly finding: Finding;
    readonly link: string;
  };
}

/** One ticket system. */
export interface TicketSink {
  /** For logs and the ticket reference. */
  readonly name: string;
  /** Opens the ticket (or finds the one already opened for `ticket.key`) and returns its reference. */
  open(ticket: Ticket, abortSignal?: AbortSignal): Promise<string>;
}
