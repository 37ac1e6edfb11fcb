/**
 * Tickets as a signed webhook: a JSON POST whose body is signed with HMAC-SHA256 over `<timestamp>.<body>` (header
 * `X-Remediator-Signature: t=<timestamp>,v1=<hex>`), so the receiver can check origin and freshness, and an
 * `Idempotency-Key` header so it can drop retries.
 */
import { createHmac } from 'node:crypto';
import type { Ticket, TicketSink } from './ticket-sink';

/** The signature header value for a body sent at `timestamp` (seconds). Exported for receivers' tests. */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  const digest = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${digest}`;
}

/** Posts tickets to `url`. */
export function webhookSink(url: string, secret: string, now: () => number = Date.now): TicketSink {
  return {
    name: 'webhook',
    async open(ticket: Ticket, abortSignal?: AbortSignal): Promise<string> {
      const body = JSON.stringify({
        key: ticket.key,
        title: ticket.title,
        body: ticket.body,
        record: ticket.record,
      });
      const timestamp = Math.floor(now() / 1000);
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': ticket.key,
          'x-remediator-signature': webhookSignature(secret, timestamp, body),
        },
        body,
        ...(abortSignal ? { signal: abortSignal } : {}),
      });
      if (!response.ok) throw new TicketSinkError(`webhook answered ${response.status}`, response.status);
      // A receiver may return its own reference; otherwise the key is the reference.
      const answer = (await response.json().catch(() => ({}))) as { id?: unknown; key?: unknown };
      const ref =
        typeof answer.id === 'string' ? answer.id : typeof answer.key === 'string' ? answer.key : ticket.key;
      return `webhook:${ref}`;
    },
  };
}

/** A ticket system refused or failed; 4xx other than 408/429 is permanent. */
export class TicketSinkError extends Error {
  override readonly name = 'TicketSinkError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }

  /** Whether retrying the same request cannot help. */
  get permanent(): boolean {
    return this.status >= 400 && this.status < 500 && this.status !== 408 && this.status !== 429;
  }
}
