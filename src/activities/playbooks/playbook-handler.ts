/**
 * The contract every playbook implements on the activity side. The workflow drives it step by step; each method is
 * one activity call, so each is idempotent and safe to retry.
 */
import type { Finding } from '../../domain/finding';
import type { Analysis, PriorState, StepResult, Verification } from '../../domain/remediation';
import type { VerifyBackoff } from '../verification-polling';

/** Passed to every playbook call: the activity's cancellation signal, to hand to the AWS SDK as `abortSignal`. */
export interface CallContext {
  readonly abortSignal?: AbortSignal;
  /** The playbook's options from the execution's policy snapshot. */
  readonly options?: Readonly<Record<string, string | number | boolean>>;
  /**
   * When this attempt's time is up (epoch ms): its start-to-close timeout or the activity's schedule-to-close
   * deadline, whichever comes first. Work that must not be cut half-way (an ENI in the allow-all group) starts only
   * with time left for it.
   */
  readonly deadline?: number;
  /**
   * The activity's attempt (1 for the first). A later attempt that finds its change already made knows an earlier
   * attempt made it (one that timed out after AWS had done it), so the change is recorded as this remediation's.
   */
  readonly attempt?: number;
  /**
   * The step the previous attempt had started to apply (its heartbeat details), if it got that far: only then may a
   * retry that finds the change made take it for this remediation's.
   */
  readonly previousAttemptApplying?: string;
  /**
   * Tells later attempts that this one is about to make the change of `step` (a heartbeat); resolves once the server
   * has recorded it, so no change goes out unmarked.
   */
  markApplying?(step: string): Promise<void>;
}

/** One playbook's AWS side. */
export interface PlaybookHandler {
  /** Read-only: is the resource there, still non-compliant, safe to fix? Returns the plan of steps. */
  analyze(finding: Finding, ctx: CallContext): Promise<Analysis>;
  /** Read-only: the state the steps will change, recorded in history before any change. */
  capturePriorState(finding: Finding, ctx: CallContext): Promise<PriorState>;
  /** Applies one planned step; returns `changed: false` when the resource already was in the target state. */
  applyStep(step: string, finding: Finding, prior: PriorState, ctx: CallContext): Promise<StepResult>;
  /** Restores what one step changed, from the recorded prior state; idempotent. */
  compensateStep(step: string, finding: Finding, prior: PriorState, ctx: CallContext): Promise<StepResult>;
  /** One independent fresh read of the fix; the verify activity repeats it within the window until it passes. */
  verify(finding: Finding, ctx: CallContext): Promise<Verification>;
  /** How far apart the verify activity's reads are; default `DEFAULT_VERIFY_BACKOFF`. */
  readonly verifyBackoff?: VerifyBackoff;
  /**
   * Optional: the state `capturePriorState` would record, taken from what `analyze` or `verify` just observed, when
   * they made the very read it would make. Saves repeating that read in the same activity (preparation: analysis then
   * prior state; verification then the state after). Returns `undefined` when the observation does not carry it.
   */
  stateFromObserved?(observed: Readonly<Record<string, unknown>>): PriorState | undefined;
}
