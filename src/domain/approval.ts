/**
 * Human approval inside the remediation (docs/architecture.md, Approval): what waits, what a decision carries, and
 * the checks a decision must pass. The checks are pure so the update's validator and the signal's handler share them
 * exactly.
 */
import type { SignedIdentity } from './decision';
import type { PlannedStep } from './plan';

/** What an operator decides about a waiting remediation. */
export interface ApprovalDecision {
  readonly decision: 'approve' | 'reject';
  /** Why; recorded in the outcome, the audit record and the notification. */
  readonly reason: string;
  /**
   * Who says they decided: only a label. The decider recorded is the ARN the worker verified from `signature`; an
   * unsigned decision (the Web UI's signal) is taken only where the policy allows, recorded as `<by> (unverified)`.
   */
  readonly by: string;
  /** The request this decision answers; when given it must match, so a stale decision cannot approve a newer plan. */
  readonly requestId?: string;
  /** A presigned `sts:GetCallerIdentity` request bound to this decision (see `src/domain/decision.ts`). */
  readonly signature?: SignedIdentity;
}

/** A remediation waiting for a decision. Shown by the `status` query and `remediator status`. */
export interface ApprovalRequest {
  /** Unique within the execution: `<finding event id>#<attempt>`. */
  readonly requestId: string;
  readonly playbook: string;
  readonly control: string;
  /** Why approval is needed (the analysis' reason or the policy's `approve` mode). */
  readonly why: string;
  /** Exactly what will be done when approved. */
  readonly plan: readonly PlannedStep[];
  readonly requestedAt: string;
  /** When the request times out and the remediation escalates instead. */
  readonly expiresAt: string;
}

/** A decision as recorded in the outcome. */
export interface RecordedApproval extends ApprovalDecision {
  readonly requestId: string;
  readonly requestedAt: string;
  readonly decidedAt: string;
}

/** What the approval update returns to the caller. */
export interface ApprovalReceipt {
  readonly requestId: string;
  readonly decision: ApprovalDecision['decision'];
  readonly by: string;
  readonly decidedAt: string;
}

/** Longest accepted reason and identity; they travel in payloads, notifications and search results. */
const MAX_REASON = 1000;
const MAX_IDENTITY = 200;

/**
 * Why a decision cannot be taken now, or `undefined` when it can. Checks the shape (the payload may come from the Web
 * UI as free JSON) and that it answers the request that is waiting.
 */
export function approvalProblem(
  pending: ApprovalRequest | undefined,
  alreadyDecided: boolean,
  input: unknown,
): string | undefined {
  if (typeof input !== 'object' || input === null) {
    return 'a decision must be an object {decision, reason, by}';
  }
  const d = input as Record<string, unknown>;
  if (d.decision !== 'approve' && d.decision !== 'reject') return "decision must be 'approve' or 'reject'";
  if (typeof d.reason !== 'string' || d.reason.trim() === '') return 'a reason is required';
  if (d.reason.length > MAX_REASON) return `the reason is longer than ${MAX_REASON} characters`;
  if (typeof d.by !== 'string' || d.by.trim() === '') return 'the decision must name who made it (by)';
  if (d.by.length > MAX_IDENTITY) return `'by' is longer than ${MAX_IDENTITY} characters`;
  if (d.requestId !== undefined && typeof d.requestId !== 'string') return 'requestId must be a string';
  if (d.signature !== undefined) {
    const sig = d.signature as Record<string, unknown> | null;
    if (
      typeof sig !== 'object' ||
      sig === null ||
      typeof sig.query !== 'string' ||
      typeof sig.digest !== 'string'
    ) {
      return 'signature must be {query, digest}';
    }
    if (sig.query.length > 8192 || sig.digest.length > 128) return 'the signature is too long';
  }
  if (!pending) return 'nothing in this execution is waiting for approval';
  if (alreadyDecided) return `request ${pending.requestId} has already been decided`;
  if (d.requestId !== undefined && d.requestId !== pending.requestId) {
    return `request ${String(d.requestId)} is not the one waiting (${pending.requestId})`;
  }
  return undefined;
}

/** True when two plans make the same calls in the same order: an approval covers exactly the plan it was shown. */
export function samePlan(a: readonly PlannedStep[], b: readonly PlannedStep[]): boolean {
  return (
    a.length === b.length &&
    a.every((step, i) => step.step === b[i]?.step && step.description === b[i]?.description)
  );
}
