/**
 * Ticket creation for findings a human must handle: opened in the configured ticket system (SNS, signed webhook or
 * Jira Cloud), idempotently per finding and run, and always recorded in the audit trail with its reference. Without
 * a ticket system the audit record is the ticket (`REM-…`).
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { AuditRecord } from '../domain/audit-record';
import type { Finding } from '../domain/finding';
import { executionLink } from './messages';
import type { UiLinkOptions } from './messages';
import type { Ticket, TicketSink } from './tickets/ticket-sink';
import { TicketSinkError } from './tickets/webhook-sink';
import { activityAbortSignal } from './abort-signal';

/** What a ticket is about. */
export interface TicketRequest {
  readonly workflowId: string;
  readonly runId: string;
  readonly finding: Finding;
  readonly playbook: string;
  readonly reason: string;
}

/** The ticket a sink receives for a request: readable title and body, machine-readable record. */
export function ticketFor(request: TicketRequest, ui: UiLinkOptions): Ticket {
  const r = request.finding.resource;
  const link = executionLink(request, ui);
  return {
    key: `${request.runId}/${request.finding.eventId}`,
    title: `[remediator] ${request.playbook} needs a person: ${r.resourceId} (${r.account}/${r.region})`,
    body: [
      `A remediation needs a human: ${request.reason}.`,
      `Resource: ${r.resourceType} ${r.resourceId} in account ${r.account}, region ${r.region}.`,
      `Finding: ${request.finding.source} ${request.finding.control} (${request.finding.title}), event ${request.finding.eventId}.`,
      `History, prior state and every step: ${link}`,
    ].join('\n\n'),
    record: {
      workflowId: request.workflowId,
      runId: request.runId,
      playbook: request.playbook,
      reason: request.reason,
      finding: request.finding,
      link,
    },
  };
}

/** Builds `createTicket` on top of an audit writer and, optionally, a ticket system. */
export function createTicketActivities(
  recordAudit: (record: AuditRecord) => Promise<void>,
  ui: UiLinkOptions,
  sink?: TicketSink,
) {
  return {
    /** Opens (idempotently) a ticket and returns its reference. */
    async createTicket(request: TicketRequest): Promise<string> {
      const ctx = Context.current();
      let ref = `REM-${request.runId.slice(0, 8)}-${request.finding.eventId.slice(0, 8)}`;
      if (sink) {
        try {
          ref = await sink.open(ticketFor(request, ui), activityAbortSignal());
        } catch (err) {
          if (err instanceof TicketSinkError && err.permanent) {
            throw ApplicationFailure.nonRetryable(`${sink.name}: ${err.message}`, 'TicketRefused');
          }
          throw err;
        }
      }
      await recordAudit({
        kind: 'ticket',
        workflowId: request.workflowId,
        runId: request.runId,
        resource: request.finding.resource,
        playbook: request.playbook,
        status: 'ESCALATING',
        reason: `${ref}: ${request.reason}`,
        at: request.finding.observedAt,
      });
      ctx.log.info('Ticket opened', {
        ticket: ref,
        sink: sink?.name ?? 'audit',
        workflowId: request.workflowId,
      });
      return ref;
    },
  };
}
