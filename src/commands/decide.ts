/**
 * `remediator approve|reject <workflowId> --reason …`: decides a remediation waiting for approval, by update, so the
 * caller learns at once whether the decision was taken (the workflow's validator refuses a malformed or stale one).
 */
import { hostname, userInfo } from 'node:os';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { ApprovalDecision, ApprovalReceipt } from '../domain/approval';
import { approvalUpdate, pendingApprovalQuery } from '../workflows/definitions';
import { DecisionRefusedError } from './decide-errors';
import { signatureFor } from './signing';

export { DecisionRefusedError } from './decide-errors';

/**
 * Who is deciding: the operating-system user and host running the CLI. Taken from the environment the caller is
 * logged into, not from a flag, so it cannot be typed in as someone else.
 */
export function operatorIdentity(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): fall back to the uid, which is still the caller's.
    user = `uid-${process.getuid?.() ?? 'unknown'}`;
  }
  return `${user}@${hostname()}`;
}

/**
 * Signs the decision for the request that waits (unless `unsigned`), sends it, and returns a line that says what was
 * recorded. The decider recorded is the identity the worker verified, not `by`.
 */
export async function decide(
  client: Client,
  workflowId: string,
  decision: Omit<ApprovalDecision, 'signature'>,
  unsigned = false,
): Promise<{ receipt: ApprovalReceipt; line: string }> {
  try {
    const handle = client.workflow.getHandle(workflowId);
    // The signature names the request it answers, so the CLI asks which one waits first.
    const waiting = await handle.query(pendingApprovalQuery);
    if (!waiting) throw new DecisionRefusedError(`${workflowId} is not waiting for a decision`);
    if (decision.requestId !== undefined && decision.requestId !== waiting.requestId) {
      throw new DecisionRefusedError(
        `${workflowId} waits for request ${waiting.requestId}, not ${decision.requestId}`,
      );
    }
    const signature = await signatureFor(
      { kind: decision.decision, target: workflowId, requestId: waiting.requestId, reason: decision.reason },
      unsigned,
    );
    const receipt = await handle.executeUpdate(approvalUpdate, {
      args: [{ ...decision, requestId: waiting.requestId, ...(signature ? { signature } : {}) }],
    });
    const verb = receipt.decision === 'approve' ? 'Approved' : 'Rejected';
    return {
      receipt,
      line: `${verb} ${workflowId} (request ${receipt.requestId}) as ${receipt.by} at ${receipt.decidedAt}.`,
    };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause instanceof Error ? err.cause.message : err.message;
      throw new DecisionRefusedError(`${workflowId} refused the decision: ${cause}`, { cause: err });
    }
    if (err instanceof WorkflowNotFoundError) {
      throw new DecisionRefusedError(`no running remediation with id ${workflowId}`, { cause: err });
    }
    throw err;
  }
}
