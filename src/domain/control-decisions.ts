/**
 * Operator controls as signed decisions (docs/architecture.md, Trust model): what an exemption, a pause or a resume
 * asks of the control workflow, and the claim its signature is bound to. The CLI signs with these claims and the
 * control workflow checks with the same ones, so they agree byte for byte. Pure: safe in workflow code.
 */
import type { DecisionClaim, SignedIdentity } from './decision';

/** What a signed request to the control workflow carries besides its terms. */
export interface SignedRequest {
  /** A fresh id per request (the CLI's UUID); the control workflow refuses a second use. */
  readonly requestId?: string;
  readonly signature?: SignedIdentity;
}

/** `remediator exempt`: a resource (pattern) until a time. */
export interface ExemptRequest extends SignedRequest {
  readonly resource: string;
  readonly until: string;
  readonly reason: string;
  /** Who says they ask: a label; the decider recorded is the one the worker verifies. */
  readonly by: string;
  /** Set by a rollback's own exemption: the rollback workflow whose verified approvers grant it. */
  readonly rollback?: string;
}

/** `remediator pause`: every playbook and account unless narrowed. */
export interface PauseRequest extends SignedRequest {
  readonly playbook?: string;
  readonly account?: string;
  readonly reason: string;
  readonly by: string;
}

/** `remediator resume`: lifts exactly the pause of this scope. */
export interface ResumeRequest extends SignedRequest {
  readonly playbook?: string;
  readonly account?: string;
  readonly by: string;
}

/** The claim of an exemption. */
export function exemptClaim(target: string, r: ExemptRequest): DecisionClaim {
  return {
    kind: 'exempt',
    target,
    requestId: r.requestId ?? '',
    reason: r.reason,
    terms: { resource: r.resource, until: r.until },
  };
}

/** The claim of a pause. */
export function pauseClaim(target: string, r: PauseRequest): DecisionClaim {
  return {
    kind: 'pause',
    target,
    requestId: r.requestId ?? '',
    reason: r.reason,
    terms: { playbook: r.playbook ?? '*', account: r.account ?? '*' },
  };
}

/** The claim of a resume. */
export function resumeClaim(target: string, r: ResumeRequest): DecisionClaim {
  return {
    kind: 'resume',
    target,
    requestId: r.requestId ?? '',
    reason: 'resume',
    terms: { playbook: r.playbook ?? '*', account: r.account ?? '*' },
  };
}
