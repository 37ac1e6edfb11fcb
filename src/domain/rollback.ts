/**
 * Operator rollback of a completed remediation (docs/architecture.md, Prior state and rollback): what it undoes, what
 * it returns, and the state comparison behind its drift refusal and its verification. Pure and workflow-safe.
 */
import type { DecisionClaim, SignedIdentity } from './decision';
import type { Outcome, PriorState, StepResult } from './remediation';

/** The remediation run a rollback undoes, by Temporal's ids. */
export interface RollbackTarget {
  readonly workflowId: string;
  readonly runId: string;
}

/**
 * What `remediator rollback` asks for: a request, never authority (docs/architecture.md, Trust model). It names the
 * remediation run and says who and why; what is restored, and with which settings, the worker reads itself (the
 * run's recorded outcome from Temporal, the playbook's settings from its own policy).
 */
export interface RollbackInput {
  /** The remediation execution (and run) whose changes are undone. */
  readonly target: RollbackTarget;
  readonly reason: string;
  /** Who asked, from the caller's OS identity. */
  readonly by: string;
  /** Roll back even when the resource changed since the remediation. */
  readonly force: boolean;
  /** How long the resource is exempt from remediation afterwards, so it is not fixed again at once. */
  readonly exemptForMs: number;
  /** The operator's signed identity, when the CLI signed the decision (verified by the worker, not by this type). */
  readonly signature?: SignedIdentity;
  /** The decision's unique id, bound into the signature. */
  readonly requestId?: string;
}

/** Longest `reason` a rollback records; longer text is cut (it ends up in audit records and SNS messages). */
export const MAX_ROLLBACK_REASON_LENGTH = 1000;
/** Longest `by` a rollback records. */
export const MAX_ROLLBACK_BY_LENGTH = 200;
/** Longest workflow or run id a target may have (Temporal's own limit on ids is 1000 bytes by default). */
const MAX_TARGET_ID_LENGTH = 1000;
/** Longest exemption a rollback grants: long enough for an investigation, short enough not to be forgotten. */
export const MAX_ROLLBACK_EXEMPTION_MS = 30 * 24 * 3600 * 1000;
/** The exemption of a request that names none (the CLI's `--exempt-for` default). */
export const DEFAULT_ROLLBACK_EXEMPTION_MS = 24 * 3600 * 1000;

const text = (value: unknown, max: number): string => (typeof value === 'string' ? value.slice(0, max) : '');
const id = (value: unknown): string =>
  typeof value === 'string' && value.length <= MAX_TARGET_ID_LENGTH ? value : '';

/**
 * The request as the rollback workflow uses it: only the known fields, free text bounded, the exemption clamped to
 * 0..`MAX_ROLLBACK_EXEMPTION_MS`. Anything else a caller adds (an `outcome`, settings) is dropped: whoever can start
 * a workflow could have written it (docs/architecture.md, Trust model). A malformed target becomes empty ids, which
 * name no remediation and are refused.
 */
export function rollbackRequest(raw: unknown): RollbackInput {
  const input = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const target = (input['target'] && typeof input['target'] === 'object' ? input['target'] : {}) as Record<
    string,
    unknown
  >;
  const exempt = input['exemptForMs'];
  const signature = input['signature'] as Record<string, unknown> | undefined;
  return {
    target: { workflowId: id(target['workflowId']), runId: id(target['runId']) },
    reason: text(input['reason'], MAX_ROLLBACK_REASON_LENGTH),
    by: text(input['by'], MAX_ROLLBACK_BY_LENGTH),
    force: input['force'] === true,
    exemptForMs:
      typeof exempt === 'number' && Number.isFinite(exempt)
        ? Math.min(Math.max(Math.floor(exempt), 0), MAX_ROLLBACK_EXEMPTION_MS)
        : DEFAULT_ROLLBACK_EXEMPTION_MS,
    // Carried as given, for the signature check: only their shape is checked here.
    ...(signature &&
    typeof signature === 'object' &&
    typeof signature['query'] === 'string' &&
    typeof signature['digest'] === 'string'
      ? { signature: { query: signature['query'], digest: signature['digest'] } }
      : {}),
    ...(typeof input['requestId'] === 'string' ? { requestId: input['requestId'] } : {}),
  };
}

/**
 * What the worker found recorded for a remediation run (the `recordedOutcome` activity): the outcome a rollback
 * undoes, or why there is none. A refusal is an answer, not a failure.
 */
export type RecordedOutcome =
  { readonly found: true; readonly outcome: Outcome } | { readonly found: false; readonly reason: string };

/** The outcome a rollback undoes: the run's newest `REMEDIATED` outcome that changed something. */
export function outcomeToRollBack(outcomes: readonly Outcome[]): Outcome | undefined {
  return [...outcomes].reverse().find((o) => o.status === 'REMEDIATED' && o.changes.some((c) => c.changed));
}

/** How a rollback ended. */
export interface RollbackResult {
  /**
   * `ROLLED_BACK`: restored and verified; `REFUSED`: nothing recorded to roll back, or the resource drifted and
   * `--force` was not given; `ESCALATED`: the record could not be read, or a restore failed or did not verify.
   */
  readonly status: 'ROLLED_BACK' | 'REFUSED' | 'ESCALATED';
  readonly reason: string;
  readonly target: RollbackTarget;
  readonly by: string;
  readonly requestedReason: string;
  /** What changed since the remediation (the drift), when checked. */
  readonly drift: readonly string[];
  readonly restored: readonly StepResult[];
  /** Differences between the restored state and the recorded prior state (empty when verified). */
  readonly unrestored: readonly string[];
  readonly exemptUntil?: string;
  /** Who decided, as the worker verified them: the requester, and for a containment the second approver. */
  readonly approvedBy?: readonly string[];
  readonly at: string;
}

/** Keys that change without anyone changing the resource (read times, AWS's own settling state). */
const VOLATILE = new Set(['capturedAt', 'State']);

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    // Sets of rules, groups, volumes: order is not meaning.
    return value.map(canonical).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([k, v]) => !VOLATILE.has(k) && v !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

/**
 * The top-level fields that differ between two recorded states (volatile keys and ordering ignored). With
 * `recordedKeysOnly`, only the fields `expected` has are compared: one its recording did not have (a field a playbook's
 * state gained after the remediation was recorded, or an optional one such as an isolation group left in place) says
 * nothing about whether the resource is as recorded.
 */
export function stateDifferences(
  expected: PriorState,
  actual: PriorState,
  options: { readonly recordedKeysOnly?: boolean } = {},
): string[] {
  const a = canonical(expected) as Record<string, unknown>;
  const b = canonical(actual) as Record<string, unknown>;
  const keys = (
    options.recordedKeysOnly ? Object.keys(a) : [...new Set([...Object.keys(a), ...Object.keys(b)])]
  ).sort();
  return keys
    .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .map(
      (k) =>
        `${k}: expected ${JSON.stringify(a[k]) ?? 'nothing'}, found ${JSON.stringify(b[k]) ?? 'nothing'}`,
    );
}

/**
 * The claim a rollback's signature is bound to: the rollback's own workflow id (`rollback/<workflowId>/<runId>`, so
 * the signed request cannot be started again under another id), which run, why, whether forced and how long the
 * exemption lasts. The CLI signs it and the worker checks it with the same function, so they agree byte for byte.
 */
export function rollbackClaim(input: RollbackInput, rollbackId: string): DecisionClaim {
  return {
    kind: 'rollback',
    target: rollbackId,
    requestId: input.requestId ?? '',
    reason: input.reason,
    terms: {
      remediation: input.target.workflowId,
      runId: input.target.runId,
      force: String(input.force),
      exemptForMs: String(input.exemptForMs),
    },
  };
}
