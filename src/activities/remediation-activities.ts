/**
 * The playbook-agnostic activities the workflow calls; each dispatches to the playbook named in its request and
 * hands the activity's cancellation signal to the AWS SDK.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Finding } from '../domain/finding';
import type { Analysis, PriorState, StepResult, Verification } from '../domain/remediation';
import type { CallContext, PlaybookHandler } from './playbooks/playbook-handler';
import { activityAbortSignal, activityDeadline } from './abort-signal';
import {
  markApplying,
  noteVerifying,
  previousAttemptApplying,
  previousAttemptVerifying,
} from './heartbeat-details';
import { DEFAULT_VERIFY_BACKOFF, pollVerification } from './verification-polling';
import type { RecordHeartbeat } from './heartbeat-details';

/** Identifies the finding and the playbook that handles it. */
export interface PlaybookRequest {
  readonly finding: Finding;
  readonly playbook: string;
  /** The playbook's policy options, when the policy sets any. */
  readonly options?: Readonly<Record<string, string | number | boolean>>;
}

/** What the verify activity is asked: the finding, and how long the fix may take to read back. */
export interface VerifyRequest extends PlaybookRequest {
  /**
   * The window the reads may span, from the first (the policy's `propagationWaitMs`); absent or 0: one read. The
   * workflow takes it from the worker's settings, never from its input.
   */
  readonly verifyWithinMs?: number;
}

/** A step of the plan, with the prior state recorded before any change. */
export interface StepRequest extends PlaybookRequest {
  readonly step: string;
  readonly prior: PriorState;
}

/** The playbook's state from an observation, or `undefined` (read it afresh) when it has none or cannot tell. */
function stateFrom(
  handler: PlaybookHandler,
  observed: Readonly<Record<string, unknown>>,
): PriorState | undefined {
  try {
    return handler.stateFromObserved?.(observed);
  } catch {
    return undefined;
  }
}

function callContext(request: PlaybookRequest | undefined, recordHeartbeat?: RecordHeartbeat): CallContext {
  const deadline = activityDeadline();
  const previous = previousAttemptApplying();
  return {
    abortSignal: activityAbortSignal(),
    options: request?.options ?? {},
    attempt: Context.current().info.attempt,
    ...(previous !== undefined ? { previousAttemptApplying: previous } : {}),
    markApplying: (step) => markApplying(step, recordHeartbeat),
    // Finish ahead of the server's timer, so that the attempt's own failure (saying what it did) is what it records.
    ...(deadline !== undefined ? { deadline: deadline - DEADLINE_MARGIN_MS } : {}),
  };
}

/** How long before the server's timeout an attempt means to be done. */
const DEADLINE_MARGIN_MS = 1000;

/** How the remediation activities reach the server beyond their own context. */
export interface RemediationActivityOptions {
  /**
   * Records the mark an apply makes before its change (heartbeat-details.ts) and waits for the server to have it;
   * without it the mark is only queued with the SDK's heartbeat (unit tests).
   */
  readonly recordHeartbeat?: RecordHeartbeat;
}

/** Builds the analyse / capture / apply / compensate / verify activities over a playbook registry. */
export function createRemediationActivities(
  playbooks: Readonly<Record<string, PlaybookHandler>>,
  options: RemediationActivityOptions = {},
) {
  function handlerFor(playbook: string): PlaybookHandler {
    const handler = playbooks[playbook];
    if (!handler) {
      throw ApplicationFailure.create({
        message: `This worker has no playbook '${playbook}'`,
        type: 'UnknownPlaybook',
        nonRetryable: true,
      });
    }
    return handler;
  }

  function logged(action: string, request: PlaybookRequest, extra: Record<string, unknown> = {}): void {
    Context.current().log.info(action, {
      playbook: request.playbook,
      resourceId: request.finding.resource.resourceId,
      account: request.finding.resource.account,
      region: request.finding.resource.region,
      ...extra,
    });
  }

  return {
    /** Read-only analysis: exists? still non-compliant? safe? Returns the plan. */
    async analyze(request: PlaybookRequest): Promise<Analysis> {
      const analysis = await handlerFor(request.playbook).analyze(
        request.finding,
        callContext(request, options.recordHeartbeat),
      );
      logged('Analysed', request, { verdict: analysis.verdict, reason: analysis.reason });
      return analysis;
    },
    /**
     * Read-only: the state the plan will change. `observed` is what an analysis made in the same activity attempt
     * just read (the preparation passes it); the playbook takes the state from it when it can instead of reading again.
     */
    async capturePriorState(
      request: PlaybookRequest,
      observed?: Readonly<Record<string, unknown>>,
    ): Promise<PriorState> {
      const handler = handlerFor(request.playbook);
      const reused = observed ? stateFrom(handler, observed) : undefined;
      const prior =
        reused ??
        (await handler.capturePriorState(request.finding, callContext(request, options.recordHeartbeat)));
      logged('Prior state recorded', request, { fromAnalysis: reused !== undefined });
      return prior;
    },
    /** Applies one step, idempotently. */
    async applyStep(request: StepRequest): Promise<StepResult> {
      const result = await handlerFor(request.playbook).applyStep(
        request.step,
        request.finding,
        request.prior,
        callContext(request, options.recordHeartbeat),
      );
      logged('Step applied', request, { step: request.step, changed: result.changed });
      return result;
    },
    /** Restores one step from the recorded prior state, idempotently. */
    async compensateStep(request: StepRequest): Promise<StepResult> {
      const result = await handlerFor(request.playbook).compensateStep(
        request.step,
        request.finding,
        request.prior,
        callContext(request, options.recordHeartbeat),
      );
      logged('Step compensated', request, { step: request.step, changed: result.changed });
      return result;
    },
    /**
     * Independent verification: reads the fix back until it holds or the window ends (verification-polling.ts),
     * resuming the window of a previous attempt that a lost worker left unfinished.
     */
    async verify(request: VerifyRequest): Promise<Verification> {
      const handler = handlerFor(request.playbook);
      const ctx = Context.current();
      const resumed = previousAttemptVerifying();
      const verification = await pollVerification(
        () => handler.verify(request.finding, callContext(request, options.recordHeartbeat)),
        request.verifyWithinMs ?? 0,
        handler.verifyBackoff ?? DEFAULT_VERIFY_BACKOFF,
        { now: () => Date.now(), sleep: (ms) => ctx.sleep(ms), progress: noteVerifying },
        resumed,
      );
      logged('Verified', request, {
        passed: verification.passed,
        reads: verification.reads,
        ...(resumed ? { resumedAfterReads: resumed.reads } : {}),
      });
      if (!verification.passed) return verification;
      // The state the fix left, read the same way as the prior state: a later rollback compares against it to
      // refuse when someone changed the resource since.
      try {
        const stateAfter =
          stateFrom(handler, verification.observed) ??
          (await handler.capturePriorState(request.finding, callContext(request, options.recordHeartbeat)));
        return { ...verification, stateAfter };
      } catch (err) {
        logged('State after the fix not recorded', request, { error: (err as Error).message });
        return verification;
      }
    },
  };
}
