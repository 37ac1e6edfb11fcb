/**
 * Operator rollback of a completed remediation (docs/architecture.md, Prior state and rollback): what it undoes, what
 * it returns, and the state comparison behind its drift refusal and its verification. Pure and workflow-safe.
 */
import type { Outcome, PriorState, StepResult } from './remediation';

/** What `remediator rollback` asks for. */
export interface RollbackInput {
  /** The remediation execution (and run) whose changes are undone. */
  readonly target: { readonly workflowId: string; readonly runId: string };
  /** The remediated outcome of that run: finding, playbook, prior state, changes and the state after the fix. */
  readonly outcome: Outcome;
  readonly reason: string;
  /** Who asked, from the caller's OS identity. */
  readonly by: string;
  /** Roll back even when the resource changed since the remediation. */
  readonly force: boolean;
  /** How long the resource is exempt from remediation afterwards, so it is not fixed again at once. */
  readonly exemptForMs: number;
  /** Activity timeout and retries (the playbook's policy settings). */
  readonly activityTimeoutMs: number;
  readonly retry: {
    readonly initialIntervalMs: number;
    readonly backoffCoefficient: number;
    readonly maximumAttempts: number;
    readonly maximumIntervalMs: number;
  };
  /** Wait before reading the restored state back (AWS is eventually consistent). */
  readonly propagationWaitMs: number;
}

/** How a rollback ended. */
export interface RollbackResult {
  /** `ROLLED_BACK`: restored and verified; `REFUSED`: the resource drifted and `--force` was not given; `ESCALATED`: a restore failed or did not verify. */
  readonly status: 'ROLLED_BACK' | 'REFUSED' | 'ESCALATED';
  readonly reason: string;
  readonly target: RollbackInput['target'];
  readonly by: string;
  readonly requestedReason: string;
  /** What changed since the remediation (the drift), when checked. */
  readonly drift: readonly string[];
  readonly restored: readonly StepResult[];
  /** Differences between the restored state and the recorded prior state (empty when verified). */
  readonly unrestored: readonly string[];
  readonly exemptUntil?: string;
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

/** The top-level fields that differ between two recorded states (volatile keys and ordering ignored). */
export function stateDifferences(expected: PriorState, actual: PriorState): string[] {
  const a = canonical(expected) as Record<string, unknown>;
  const b = canonical(actual) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys
    .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .map(
      (k) =>
        `${k}: expected ${JSON.stringify(a[k]) ?? 'nothing'}, found ${JSON.stringify(b[k]) ?? 'nothing'}`,
    );
}
