/**
 * Workflow side of signed operator decisions (docs/architecture.md, Trust model): every decision an execution takes
 * (approve, reject, a second approver of a rollback, exempt, pause, resume) is first checked by the worker's
 * `checkDecision` activity, and the decider recorded is the one it returns. A check that cannot be made refuses the
 * decision; it never fails the execution.
 */
import { isCancellation } from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/workflow';
import type { DecisionCheck, DecisionRequest } from '../activities/decisions';
import type { ApprovalDecision, ApprovalRequest } from '../domain/approval';
import type { ResourceRef } from '../domain/finding';
import { activitiesWith } from './activity-proxies';
import type { DecisionChecker } from './approval-gate';
import { failureMessage } from './finding/failures';

/** Asking STS through the worker: quick tries, then the decision is refused (the operator can send it again). */
const DECISION_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '20s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 4 },
};

/** Checks one decision with the worker; a failed check is a refusal with its reason. */
export async function checkDecision(request: DecisionRequest): Promise<DecisionCheck> {
  try {
    return await activitiesWith(DECISION_ACTIVITY_OPTIONS).checkDecision.executeWithOptions(
      { ...DECISION_ACTIVITY_OPTIONS, summary: `Check the ${request.claim.kind} decision` },
      [request],
    );
  } catch (err) {
    if (isCancellation(err)) throw err;
    return { accepted: false, reason: `the decision could not be verified: ${failureMessage(err)}` };
  }
}

/**
 * The checker of an execution's approval gate: the decision is bound to this execution (`target`), the request that
 * waits, its reason and its kind; `notBy` lists deciders who may not decide again (the requester of a rollback).
 */
export function approvalChecker(
  target: () => string,
  resource?: () => ResourceRef | undefined,
  notBy: () => readonly string[] = () => [],
): DecisionChecker {
  return (decision: ApprovalDecision, request: ApprovalRequest) => {
    const where = resource?.();
    return checkDecision({
      claim: {
        kind: decision.decision,
        target: target(),
        requestId: request.requestId,
        reason: decision.reason,
      },
      ...(decision.signature ? { signature: decision.signature } : {}),
      playbook: request.playbook,
      unsignedBy: decision.by,
      notBy: notBy(),
      ...(where ? { resource: where } : {}),
    });
  };
}
