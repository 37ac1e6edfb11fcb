/**
 * Approval: waits durably for a person's decision (update or UI signal, with a timeout), re-reads the resource after
 * an approval, and asks again when the plan changed while the person decided.
 */
import { log } from '@temporalio/workflow';
import { samePlan } from '../../domain/approval';
import type { ApprovalRequest, RecordedApproval } from '../../domain/approval';
import type { PlannedStep } from '../../domain/remediation';
import { identity } from './context';
import type { FindingContext, PhaseResult } from './context';
import { bestEffort, close, escalate } from './outcome';
import { reassess } from './prepare';

/** The plan a person approved, read again after the approval. */
export interface Approved {
  readonly plan: PlannedStep[];
}

/** Asks for approval of `plan` until a person approves the plan that still holds, rejects it, or time runs out. */
export async function approve(
  ctx: FindingContext,
  plan: PlannedStep[],
  why: string,
): Promise<PhaseResult<Approved>> {
  const { finding, playbook, resourceId } = ctx;
  let current = plan;
  for (let attempt = 1; ; attempt += 1) {
    const ask = approvalRequest(ctx, attempt, why, current);
    // Decisions are taken from the moment the execution shows AWAITING_APPROVAL, even while the request is sent.
    ctx.gate.open(ask);
    ctx.report('AWAITING_APPROVAL', `Waiting for approval (${ask.requestId}): ${ask.why}`);
    let decision: RecordedApproval | undefined;
    try {
      await bestEffort(ctx, 'approval request', () =>
        ctx.notify.notifyOutcome.executeWithOptions({ summary: `Ask for approval: ${resourceId}` }, [
          {
            kind: 'approval-request',
            ...identity(),
            resource: finding.resource,
            playbook,
            status: 'AWAITING_APPROVAL',
            reason: ask.why,
            approvalRequest: ask,
            at: ask.requestedAt,
          },
        ]),
      );
      decision = await ctx.gate.decide(ask, ctx.approvalTimeoutMs);
    } finally {
      // A cancellation while the request goes out must not leave the gate taking decisions for a finding that ended.
      ctx.gate.close();
    }
    if (!decision) {
      const waited = `${Math.round(ctx.approvalTimeoutMs / 1000)} s`;
      return {
        done: await escalate(ctx, `no approval decision within ${waited} for: ${ask.why}`, 'ApprovalTimeout'),
      };
    }
    ctx.draft.approval = decision;
    if (decision.decision === 'reject') {
      return { done: await close(ctx, 'REJECTED', `rejected by ${decision.by}: ${decision.reason}`, true) };
    }
    ctx.report('ANALYZING', `Approved by ${decision.by}; re-reading ${resourceId} before applying`);
    const fresh = await reassess(ctx, `Re-analyse ${resourceId} after approval`);
    if ('done' in fresh) return fresh;
    if (samePlan(fresh.plan, current)) return { plan: current };
    log.info('The resource changed while waiting for approval; asking again', { resourceId, attempt });
    current = fresh.plan;
  }
}

function approvalRequest(
  ctx: FindingContext,
  attempt: number,
  why: string,
  plan: readonly PlannedStep[],
): ApprovalRequest {
  const requestedAt = new Date();
  return {
    requestId: `${ctx.finding.eventId}#${attempt}`,
    playbook: ctx.playbook,
    control: ctx.finding.control,
    why: attempt === 1 ? why : `the resource changed while waiting, so this is a new plan; ${why}`,
    plan,
    requestedAt: requestedAt.toISOString(),
    expiresAt: new Date(requestedAt.getTime() + ctx.approvalTimeoutMs).toISOString(),
  };
}
