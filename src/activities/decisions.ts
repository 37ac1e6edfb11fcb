/**
 * The worker's check of an operator decision (docs/architecture.md, Trust model: signed operator decisions): the
 * decision names who decided only through a presigned `sts:GetCallerIdentity` request, which the worker sends to its
 * own STS endpoint; the ARN STS returns must be one of the policy's approvers. An unsigned decision (the Web UI's
 * signal) is taken only where the policy allows it, and is recorded as unverified. A refused decision is itself an
 * incident: it is audited and pages on-call.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { IdentityVerifier } from '../auth/verify-decision';
import type { AuditRecord } from '../domain/audit-record';
import { isApprover } from '../domain/decision';
import type { DecisionClaim, SignedIdentity } from '../domain/decision';
import type { ResourceRef } from '../domain/finding';
import type { PolicySource } from './worker-settings';

/** One decision to check. */
export interface DecisionRequest {
  readonly claim: DecisionClaim;
  readonly signature?: SignedIdentity;
  /** Whose approvers apply (absent: the policy's `*` list). */
  readonly playbook?: string;
  /** The label of an unsigned decision (`by`), recorded as unverified when the policy takes unsigned decisions. */
  readonly unsignedBy?: string;
  /** Deciders who already decided: a second approval must come from someone else. */
  readonly notBy?: readonly string[];
  /** What the decision is about, for the security record when it is refused. */
  readonly resource?: ResourceRef;
}

/** The worker's answer: who decided (an STS-verified ARN, or an unverified label), or why it is refused. */
export type DecisionCheck =
  | { readonly accepted: true; readonly decider: string; readonly verified: boolean }
  | { readonly accepted: false; readonly reason: string };

/** What checking decisions needs. */
export interface DecisionDeps {
  readonly policyFor: PolicySource;
  /** Sends a presigned request to the worker's STS endpoint; absent, every signed decision is refused. */
  readonly verifyIdentity?: IdentityVerifier;
  /** Records and pages a refusal. */
  readonly recordAudit: (record: AuditRecord) => Promise<void>;
  readonly notifyOncall: (record: AuditRecord) => Promise<void>;
}

/** Longest label of an unsigned decider kept. */
const MAX_LABEL = 200;

/** Builds `checkDecision`. */
export function createDecisionActivities(deps: DecisionDeps) {
  async function decide(request: DecisionRequest): Promise<DecisionCheck> {
    const { trust } = deps.policyFor(Context.current().info.taskQueue);
    if (!request.signature) {
      if (!trust.allowUnsignedDecisions) {
        return {
          accepted: false,
          reason: 'the decision is not signed, and the policy refuses unsigned decisions',
        };
      }
      const label = (request.unsignedBy ?? '').trim().slice(0, MAX_LABEL);
      if (!label) return { accepted: false, reason: 'an unsigned decision must name who made it' };
      return notAgain(request, `${label} (unverified)`, false);
    }
    if (!deps.verifyIdentity) {
      return { accepted: false, reason: 'this worker has no STS endpoint to verify signed decisions with' };
    }
    const identity = await deps.verifyIdentity(request.claim, request.signature);
    if (!identity.ok) return { accepted: false, reason: `the signature is refused: ${identity.reason}` };
    if (!isApprover(trust.approvers, request.playbook, identity.arn)) {
      return {
        accepted: false,
        reason: `${identity.arn} is not an approver${request.playbook ? ` for ${request.playbook}` : ''} in the policy`,
      };
    }
    return notAgain(request, identity.arn, true);
  }

  function notAgain(request: DecisionRequest, decider: string, verified: boolean): DecisionCheck {
    if (request.notBy?.includes(decider)) {
      return {
        accepted: false,
        reason: `${decider} has already decided: a second approver must be someone else`,
      };
    }
    return { accepted: true, decider, verified };
  }

  return {
    /** Checks who made a decision and whether they may; a refusal is audited and pages on-call. */
    async checkDecision(request: DecisionRequest): Promise<DecisionCheck> {
      const ctx = Context.current();
      if (!request?.claim || typeof request.claim.kind !== 'string') {
        throw ApplicationFailure.nonRetryable('a decision to check must carry its claim', 'InvalidDecision');
      }
      const check = await decide(request);
      const { claim } = request;
      if (check.accepted) {
        ctx.log.info('Decision accepted', { kind: claim.kind, target: claim.target, decider: check.decider });
        return check;
      }
      ctx.log.warn('Decision refused', { kind: claim.kind, target: claim.target, reason: check.reason });
      const info = ctx.info.workflowExecution;
      const record: AuditRecord = {
        kind: 'security',
        workflowId: info?.workflowId ?? claim.target,
        runId: info?.runId ?? '',
        resource: request.resource ?? {
          account: 'n/a',
          region: 'n/a',
          resourceType: 'remediator::Decision',
          resourceId: claim.target,
        },
        playbook: request.playbook ?? '*',
        status: 'REJECTED',
        reason: `refused a ${claim.kind} decision (request ${claim.requestId}): ${check.reason}`,
        at: new Date().toISOString(),
      };
      // The refusal stands even if the page or the record cannot be delivered; both are retried by SNS/S3's SDK.
      await Promise.allSettled([deps.notifyOncall(record), deps.recordAudit(record)]);
      return check;
    },
  };
}
