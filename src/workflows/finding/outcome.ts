/**
 * How one finding's remediation ends: the outcome record, the escalation (ticket, page, audit) and the notified
 * outcome. Deliveries are durable (long retries) and best effort: an outcome stands even when a message is lost.
 * Once an outcome is decided its messages go out even if the execution is cancelled meanwhile (a page or an audit
 * record must not be lost to a cancellation); the cancellation then ends the execution after it.
 */
import { CancellationScope, log } from '@temporalio/workflow';
import type { AuditRecord } from '../../domain/audit-record';
import type { Outcome, OutcomeStatus } from '../../domain/remediation';
import type { Refusal } from '../../activities/composite';
import { identity, recorded } from './context';
import type { FindingContext } from './context';
import { failureMessage } from './failures';
import { outcomeMetrics } from './outcome-metrics';
import { emitMetrics, metric } from '../metrics';
import { escalationReason } from '../../metrics/labels';

/** The outcome as the draft stands, with its status and reason. */
export function finish(ctx: FindingContext, status: OutcomeStatus, reason: string, trusted = true): Outcome {
  const outcome: Outcome = {
    finding: ctx.finding,
    playbook: ctx.playbook,
    status,
    reason,
    ...recorded(ctx.draft),
    startedAt: ctx.startedAt,
    finishedAt: new Date().toISOString(),
  };
  handled(ctx, outcome, trusted);
  return outcome;
}

/**
 * Logs an outcome decided and emits its metrics (docs/observability.md): once per outcome, wherever it was made.
 * `trusted: false` for a refused finding, whose account is only claimed.
 */
export function handled(ctx: FindingContext, outcome: Outcome, trusted = true): void {
  const { status, reason } = outcome;
  log.info('Finding handled', { resourceId: ctx.resourceId, playbook: ctx.playbook, status, reason });
  emitMetrics(outcomeMetrics(outcome, { trusted }));
}

/** Opens a ticket (optionally), pages on-call and writes the audit record; the outcome is `ESCALATED`. */
export async function escalate(
  ctx: FindingContext,
  reason: string,
  errorType?: string,
  withTicket = true,
): Promise<Outcome> {
  const { finding, playbook, resourceId } = ctx;
  ctx.report('ESCALATING', `Escalating: ${reason}`);
  let ticket: string | undefined;
  if (withTicket) {
    try {
      ticket = await CancellationScope.nonCancellable(() =>
        ctx.notify.createTicket.executeWithOptions({ summary: `Ticket for ${resourceId}` }, [
          { ...identity(), finding, playbook, reason },
        ]),
      );
    } catch (err) {
      // The page to on-call below still goes out; a ticket system that is down must not lose the escalation.
      log.error('Could not open a ticket', { resourceId, error: failureMessage(err) });
    }
  }
  ctx.draft.escalation = { reason, ...(ticket ? { ticket } : {}), ...(errorType ? { errorType } : {}) };
  emitMetrics([metric('escalations', { playbook, reason: escalationReason(errorType) })]);
  const outcome = finish(ctx, 'ESCALATED', reason);
  const record = auditRecord(ctx, 'escalation', outcome);
  await bestEffort(ctx, 'escalation', () =>
    Promise.all([
      ctx.notify.notifyOncall.executeWithOptions({ summary: `Page on-call: ${resourceId}` }, [record]),
      ctx.notify.recordAudit.executeWithOptions({ summary: 'Dashboard/audit record' }, [record]),
    ]),
  );
  return outcome;
}

/**
 * A finding the worker refuses before any analysis (docs/architecture.md, Trust model). A protected principal is
 * escalated (ticket and page: someone must look at it by hand); a finding outside the accounts served or not
 * confirmed by its detector is `NO_ACTION`, and because a forged or stale finding is itself an incident, on-call gets
 * a security notification.
 */
export async function refused(ctx: FindingContext, refusal: Refusal): Promise<Outcome> {
  if (refusal.kind === 'protected') return escalate(ctx, refusal.reason, 'Protected');
  ctx.report('NOTIFYING', `NO_ACTION: ${refusal.reason}`);
  const outcome = finish(ctx, 'NO_ACTION', `refused: ${refusal.reason}`, false);
  const record = auditRecord(ctx, 'security', outcome);
  await bestEffort(ctx, 'security notification', () =>
    Promise.all([
      ctx.notify.notifyOncall.executeWithOptions({ summary: `Security: refused ${ctx.resourceId}` }, [
        record,
      ]),
      ctx.notify.recordAudit.executeWithOptions({ summary: 'Audit record' }, [record]),
    ]),
  );
  return outcome;
}

/** Ends with `status`: the audit record always, a notification to people when `notifyPeople`. */
export async function close(
  ctx: FindingContext,
  status: OutcomeStatus,
  reason: string,
  notifyPeople: boolean,
): Promise<Outcome> {
  ctx.report('NOTIFYING', `${status}: ${reason}`);
  const outcome = finish(ctx, status, reason);
  await deliver(ctx, auditRecord(ctx, 'outcome', outcome), notifyPeople, true);
  return outcome;
}

/** Notifies people and/or writes the audit record of an outcome, durably (long retries), best effort. */
export async function deliver(
  ctx: FindingContext,
  record: AuditRecord,
  notifyPeople: boolean,
  audit: boolean,
): Promise<void> {
  await bestEffort(ctx, 'outcome notification', () =>
    Promise.all([
      notifyPeople
        ? ctx.notify.notifyOutcome.executeWithOptions({ summary: `Notify ${record.status}` }, [record])
        : Promise.resolve(),
      audit
        ? ctx.notify.recordAudit.executeWithOptions({ summary: 'Audit record' }, [record])
        : Promise.resolve(),
    ]),
  );
}

/** The record the audit trail and notifications carry for an outcome of this finding. */
export function auditRecord(ctx: FindingContext, kind: AuditRecord['kind'], outcome: Outcome): AuditRecord {
  return {
    kind,
    ...identity(),
    resource: ctx.finding.resource,
    playbook: ctx.playbook,
    status: outcome.status,
    reason: outcome.reason,
    outcome,
    at: new Date().toISOString(),
  };
}

/** Runs a delivery to its end, cancellation or not; a failure is logged (the history keeps its attempts). */
export async function bestEffort(
  ctx: FindingContext,
  what: string,
  fn: () => Promise<unknown>,
): Promise<void> {
  try {
    await CancellationScope.nonCancellable(fn);
  } catch (err) {
    log.error(`Could not deliver ${what}`, { resourceId: ctx.resourceId, error: failureMessage(err) });
  }
}
