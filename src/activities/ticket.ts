/**
 * Ticket creation for findings a human must handle. The first sink is the audit trail (a `ticket` record with a
 * deterministic id per run and finding, so a retry never opens a second ticket); Jira and webhooks come later.
 */
import { Context } from '@temporalio/activity';
import type { Finding } from '../domain/finding';
import type { AuditRecord } from '../domain/audit-record';

/** What a ticket is about. */
export interface TicketRequest {
  readonly workflowId: string;
  readonly runId: string;
  readonly finding: Finding;
  readonly playbook: string;
  readonly reason: string;
}

/** Builds `createTicket` on top of an audit writer. */
export function createTicketActivities(recordAudit: (record: AuditRecord) => Promise<void>) {
  return {
    /** Opens (idempotently) a ticket and returns its reference. */
    async createTicket(request: TicketRequest): Promise<string> {
      const ref = `REM-${request.runId.slice(0, 8)}-${request.finding.eventId.slice(0, 8)}`;
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
      Context.current().log.info('Ticket opened', { ticket: ref, workflowId: request.workflowId });
      return ref;
    },
  };
}
