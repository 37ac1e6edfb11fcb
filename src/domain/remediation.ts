/**
 * The records a remediation produces: analysis, plan, changes, verification and the workflow result
 * (docs/architecture.md, Result shape).
 * Everything here travels through Temporal payloads, so it must stay plain JSON and must never hold secrets.
 */
import type { ApprovalRequest, RecordedApproval } from './approval';
import type { Finding, ResourceRef } from './finding';
import type { PlannedStep } from './plan';

/** Final statuses of one handled finding, and of a run (docs/architecture.md, Result shape). */
export type OutcomeStatus =
  'REMEDIATED' | 'ESCALATED' | 'ROLLED_BACK' | 'EXEMPT' | 'DRY_RUN' | 'REJECTED' | 'NO_ACTION' | 'CANCELLED';

/** Phases shown in the `RemediationStatus` search attribute while an execution works. */
export type PhaseStatus =
  | 'ANALYZING'
  | 'AWAITING_APPROVAL'
  | 'PAUSED'
  | 'CAPTURING'
  | 'APPLYING'
  | 'VERIFYING'
  | 'BAKING'
  | 'COMPENSATING'
  | 'ESCALATING'
  | 'NOTIFYING';

export type { PlannedStep } from './plan';

/** Result of the read-only analysis. */
export interface Analysis {
  /**
   * `remediate`: go on; `no_action`: gone or already compliant; `cannot_fix`: needs a human (ticket + escalate);
   * `needs_approval`: the plan is sound but risky enough that a person must approve it first.
   */
  readonly verdict: 'remediate' | 'no_action' | 'cannot_fix' | 'needs_approval';
  readonly reason: string;
  readonly plan: readonly PlannedStep[];
  /** What the analysis observed, for the record. */
  readonly observed: Readonly<Record<string, unknown>>;
}

/** The state of the resource before anything changed, captured by a read-only activity. Playbook-specific JSON. */
export type PriorState = Readonly<Record<string, unknown>>;

/** What one apply (or compensation) step did. */
export interface StepResult {
  readonly step: string;
  /** false when the resource already was in the target state (idempotent re-run). */
  readonly changed: boolean;
  readonly detail: string;
  /**
   * What the step could not do although it did enough to go on (isolation without untracking, a temporary group
   * left behind): recorded like a failed best-effort step and escalated once the rest is verified.
   */
  readonly unfinished?: string;
}

/** A completed change together with the state it replaced. */
export interface AppliedChange extends StepResult {
  readonly prior: PriorState;
  readonly at: string;
}

/** The independent read back of the fix: the first read that passed, or the last one of the window. */
export interface Verification {
  readonly passed: boolean;
  readonly detail: string;
  readonly observed: Readonly<Record<string, unknown>>;
  /** When the deciding read was made: for a pass, the moment the fix was seen to hold. */
  readonly at: string;
  /** How many reads it took (absent in outcomes recorded before verification polled). */
  readonly reads?: number;
  /** A failure no later read can change (the resource is gone, the fix was found undone and put right). */
  readonly conclusive?: boolean;
  /** The state the fix left, read like the prior state (absent when the verification failed). */
  readonly stateAfter?: PriorState;
}

/** The steps that changed something, newest first: the order they are undone in (compensation and rollback). */
export function changedStepsNewestFirst(changes: readonly AppliedChange[]): string[] {
  return changes
    .filter((c) => c.changed)
    .map((c) => c.step)
    .reverse();
}

/** A best-effort step that failed: the remediation went on without it, and escalates once the rest is verified. */
export interface IncompleteStep {
  readonly step: string;
  readonly reason: string;
  readonly errorType?: string;
}

/** An escalation: why a human is needed, and the ticket created for it, if any. */
export interface Escalation {
  readonly reason: string;
  readonly ticket?: string;
  /** AWS or activity error type when a failure caused the escalation. */
  readonly errorType?: string;
}

/** Everything that happened to one finding. */
export interface Outcome {
  readonly finding: Finding;
  readonly playbook: string;
  readonly status: OutcomeStatus;
  readonly reason: string;
  readonly analysis?: Analysis;
  /** The operator's decision, when the remediation waited for approval. */
  readonly approval?: RecordedApproval;
  readonly prior?: PriorState;
  readonly changes: readonly AppliedChange[];
  readonly compensations: readonly StepResult[];
  /** Best-effort steps that failed (containment's evidence and clean-up after isolation); absent when none did. */
  readonly incomplete?: readonly IncompleteStep[];
  readonly verification?: Verification;
  readonly escalation?: Escalation;
  /** What the detector was told after a verified fix (Config re-evaluation, Security Hub status). */
  readonly reportedToSource?: string;
  readonly startedAt: string;
  readonly finishedAt: string;
}

/**
 * The workflow result (docs/architecture.md, Result shape): `status` is the outcome of the run (see `runStatus`);
 * `outcomes` are this run's, after the last ones carried over a continue-as-new.
 */
export interface RemediationResult {
  readonly status: OutcomeStatus;
  readonly outcomes: readonly Outcome[];
}

/** What the `status` query returns while the execution runs. */
export interface RemediationSnapshot {
  readonly resource: ResourceRef;
  readonly phase: PhaseStatus | OutcomeStatus | 'COOLDOWN' | 'IDLE';
  readonly current?: { readonly finding: Finding; readonly playbook: string };
  /** The request waiting for an operator's decision, if any. */
  readonly awaitingApproval?: ApprovalRequest;
  readonly queued: number;
  readonly repeats: number;
  /** Findings taken as the resource broken again after its fix (or after the detector said it passed). */
  readonly regressions: number;
  readonly compliantSignals: number;
  /** How many times this execution continued as new so far. */
  readonly continuedAsNew: number;
  readonly outcomes: readonly Outcome[];
}

/** How much each status says about a run; the run reports its most significant outcome. */
const SIGNIFICANCE: Readonly<Record<OutcomeStatus, number>> = {
  ESCALATED: 7,
  CANCELLED: 6,
  ROLLED_BACK: 5,
  REJECTED: 4,
  REMEDIATED: 3,
  DRY_RUN: 2,
  EXEMPT: 1,
  NO_ACTION: 0,
};

/**
 * The status of a run with several outcomes: the most significant one, so a run that remediated one finding and
 * found nothing left to do for a second still reads REMEDIATED, and any escalation shows.
 */
export function runStatus(outcomes: readonly Pick<Outcome, 'status'>[]): OutcomeStatus {
  return outcomes.reduce<OutcomeStatus>(
    (worst, o) => (SIGNIFICANCE[o.status] > SIGNIFICANCE[worst] ? o.status : worst),
    'NO_ACTION',
  );
}
