/**
 * Operator decisions signed with AWS identity (docs/architecture.md, Trust model: Signed operator decisions). The
 * CLI presigns an `sts:GetCallerIdentity` request that carries, in a signed header, the digest of exactly what it
 * decides; the worker sends that request to its own STS endpoint and records the ARN STS returns as the decider.
 * Pure types and matching: safe in workflow code (the digest and the STS call live in `src/auth/`).
 */
import { globMatches } from './controls';

/** Every decision an operator can sign. */
export type DecisionKind = 'approve' | 'reject' | 'rollback' | 'exempt' | 'pause' | 'resume';

/** What a signature is bound to: change any field and the signature no longer matches. */
export interface DecisionClaim {
  readonly kind: DecisionKind;
  /** What it decides about: the remediation or rollback workflow id, or the control workflow id. */
  readonly target: string;
  /**
   * Unique per decision: the approval request id it answers, or a fresh UUID from the CLI (a second use is refused).
   */
  readonly requestId: string;
  readonly reason: string;
  /** The decision's other terms (exempted resource and until, pause scope, rollback run and force), as strings. */
  readonly terms?: Readonly<Record<string, string>>;
}

/** The header of the presigned request that carries the decision's digest (SigV4 signs it). */
export const DECISION_HEADER = 'x-remediator-decision';

/** Longest a signature is good for: the presigned request's `X-Amz-Expires`, at most 5 minutes. */
export const MAX_SIGNATURE_TTL_SECONDS = 300;

/**
 * A presigned `sts:GetCallerIdentity` request as the CLI made it. Only its query string and the digest header travel;
 * the worker sends them to the STS endpoint of its own configuration, never to one a request names.
 */
export interface SignedIdentity {
  /** The presigned URL's query string: `Action=GetCallerIdentity&Version=…&X-Amz-Algorithm=…&X-Amz-Signature=…`. */
  readonly query: string;
  /** The value of `DECISION_HEADER` the CLI signed: hex SHA-256 of the claim's canonical text. */
  readonly digest: string;
}

/** What the worker concluded about a decision's identity. */
export type IdentityCheck =
  | { readonly ok: true; readonly arn: string; readonly account: string }
  | { readonly ok: false; readonly reason: string };

/**
 * The text the digest is taken of: one line per field, terms sorted, so signer and verifier agree byte for byte. Each
 * field is a JSON string literal, so a reason holding a newline or a term key holding `=` cannot pass for other
 * fields: two different claims never share a text, and so never a digest (JSON also escapes lone surrogates, which
 * UTF-8 would otherwise turn into U+FFFD).
 */
export function claimText(claim: DecisionClaim): string {
  const literal = (value: string): string => JSON.stringify(value);
  const terms = Object.entries(claim.terms ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${literal(k)}=${literal(v)}`);
  const fields = [claim.kind, claim.target, claim.requestId, claim.reason].map(literal);
  return ['remediator-decision/1', ...fields, ...terms].join('\n');
}

/**
 * Whether an STS-verified ARN may decide for a playbook: the policy's approver patterns for that playbook, else those
 * under `*`.
 */
export function isApprover(
  approvers: Readonly<Partial<Record<string, readonly string[]>>>,
  playbook: string | undefined,
  arn: string,
): boolean {
  // Own keys only: a playbook named like an Object.prototype member (`constructor`) must not find its function.
  const own = (key: string): readonly string[] | undefined =>
    Object.hasOwn(approvers, key) ? approvers[key] : undefined;
  const patterns = (playbook !== undefined ? own(playbook) : undefined) ?? own('*') ?? [];
  return patterns.some((p) => globMatches(p, arn));
}
