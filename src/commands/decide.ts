/**
 * `remediator approve|reject <workflowId> --reason …`: decides a remediation waiting for approval, by update, so the
 * caller learns at once whether the decision was taken (the workflow's validator refuses a malformed or stale one).
 */
import { hostname, userInfo } from 'node:os';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { ApprovalDecision, ApprovalReceipt } from '../domain/approval';
import { approvalUpdate } from '../workflows/definitions';

/** A decision the server or the workflow refused; the CLI prints the message without a stack trace. */
export class DecisionRefusedError extends Error {
  override readonly name = 'DecisionRefusedError';
}

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

/** Sends the decision and returns a line that says what was recorded. */
export async function decide(
  client: Client,
  workflowId: string,
  decision: ApprovalDecision,
): Promise<{ receipt: ApprovalReceipt; line: string }> {
  try {
    const receipt = await client.workflow
      .getHandle(workflowId)
      .executeUpdate(approvalUpdate, { args: [decision] });
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
