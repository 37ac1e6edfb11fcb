/**
 * Changing the resource: the prior state is recorded before anything changes (so a retried step can never record
 * the new state as prior), each step is applied in order, and a step that fails for good is compensated from the
 * recorded prior state, newest first, or kept where the playbook fails closed (containment).
 */
import { CancellationScope, CancelledFailure, log, patched } from '@temporalio/workflow';
import { isNotFoundName } from '../../domain/not-found';
import { stepFailureMode } from '../../domain/playbooks';
import { changedStepsNewestFirst } from '../../domain/remediation';
import type { PlannedStep, PriorState } from '../../domain/remediation';
import type { FindingContext, PhaseResult } from './context';
import { failureMessage, failureType, rethrowCancellation } from './failures';
import { escalate } from './outcome';
import { preparationFailure } from './prepare';

/** The recorded prior state the apply and any compensation work from. */
export interface Captured {
  readonly prior: PriorState;
}

/** Records the prior state, unless the preparation did already and nothing was waited for since. */
export async function capture(
  ctx: FindingContext,
  prepared: PriorState | undefined,
): Promise<PhaseResult<Captured>> {
  if (prepared && ctx.draft.approval === undefined) {
    ctx.draft.prior = prepared;
    return { prior: prepared };
  }
  ctx.report('CAPTURING', `Recording the current state of ${ctx.resourceId}`);
  try {
    const prior = await ctx.aws.capturePriorState.executeWithOptions(
      { summary: `Record prior state of ${ctx.resourceId}` },
      [ctx.request],
    );
    ctx.draft.prior = prior;
    return { prior };
  } catch (err) {
    rethrowCancellation(err);
    return { done: await escalate(ctx, preparationFailure('capture', err), failureType(err)) };
  }
}

/** Applies every step of the plan; on a failure, compensates what may have changed and escalates. */
export async function applyPlan(
  ctx: FindingContext,
  plan: readonly PlannedStep[],
  prior: PriorState,
): Promise<PhaseResult<{ applied: true }>> {
  for (const planned of plan) {
    // A cancelled scope schedules nothing: the step must not be recorded as in flight (it would be "undone").
    if (CancellationScope.current().consideredCancelled)
      throw new CancelledFailure('cancelled before applying');
    ctx.report('APPLYING', `Applying ${planned.step}: ${planned.description}`);
    ctx.draft.applying = planned.step;
    try {
      const result = await ctx.aws.applyStep.executeWithOptions(
        { summary: `${planned.step} on ${ctx.resourceId}` },
        [{ ...ctx.request, step: planned.step, prior }],
      );
      ctx.draft.changes.push({ ...result, prior, at: new Date().toISOString() });
      ctx.draft.applying = undefined;
      if (result.unfinished)
        (ctx.draft.incomplete ??= []).push({ step: planned.step, reason: result.unfinished });
    } catch (err) {
      // Cancelled while the step ran: it stays marked in flight, for the cancellation to undo.
      rethrowCancellation(err);
      // Evidence and clean-up after containment: recorded, escalated once the rest is verified, never a reason to
      // stop. (Versioned: before, every containment step failed closed.)
      if (
        stepFailureMode(ctx.playbook, planned.step, ctx.settings.shape) === 'best-effort' &&
        patched('best-effort-steps')
      ) {
        log.warn('Best-effort step failed; going on', {
          resourceId: ctx.resourceId,
          step: planned.step,
          error: failureMessage(err),
        });
        const type = failureType(err);
        (ctx.draft.incomplete ??= []).push({
          step: planned.step,
          reason: failureMessage(err),
          ...(type ? { errorType: type } : {}),
        });
        ctx.draft.applying = undefined;
        continue;
      }
      const reason = `step ${planned.step} failed: ${failureMessage(err)}`;
      log.warn('Apply step failed; compensating', {
        resourceId: ctx.resourceId,
        step: planned.step,
        error: failureMessage(err),
      });
      // The failed step may have reached AWS before failing, so it is restored too; restores are idempotent.
      // The step stays marked in flight until it is undone: a cancellation meanwhile undoes it too.
      const undo = await undoChanges(ctx, prior, planned.step);
      ctx.draft.applying = undefined;
      return { done: await escalate(ctx, [reason, ...undo.notes].join('; '), failureType(err)) };
    }
  }
  return { applied: true };
}

/** What undoing this finding's changes did: steps kept by design, and compensations that did not complete. */
export interface Undo {
  readonly kept: readonly string[];
  readonly errors: readonly string[];
  /** Both, worded for an escalation or an outcome reason. */
  readonly notes: readonly string[];
}

/**
 * Undoes what this finding changed, newest first: `also` (a step that may have reached AWS without returning) and
 * every step that reported a change. Configuration fixes are restored from the prior state; containment's steps
 * (fail-closed and best-effort) keep what they did.
 */
export async function undoChanges(ctx: FindingContext, prior: PriorState, also?: string): Promise<Undo> {
  const changed = changedStepsNewestFirst(ctx.draft.changes);
  const touched = also && !changed.includes(also) ? [also, ...changed] : changed;
  const toRestore = touched.filter(
    (step) => stepFailureMode(ctx.playbook, step, ctx.settings.shape) === 'compensate',
  );
  const kept = touched.filter(
    (step) => stepFailureMode(ctx.playbook, step, ctx.settings.shape) !== 'compensate',
  );
  const errors = await compensate(ctx, toRestore, prior);
  return {
    kept,
    errors,
    notes: [
      ...(kept.length ? [`kept (fail closed): ${kept.join(', ')}`] : []),
      ...(errors.length ? [`compensation incomplete: ${errors.join('; ')}`] : []),
    ],
  };
}

/** Restores each step from the prior state; returns what could not be restored. */
export async function compensate(
  ctx: FindingContext,
  steps: readonly string[],
  prior: PriorState,
): Promise<string[]> {
  const errors: string[] = [];
  for (const step of steps) {
    ctx.report('COMPENSATING', `Restoring ${step} from the recorded prior state`);
    try {
      const result = await ctx.aws.compensateStep.executeWithOptions(
        { summary: `Restore ${step} on ${ctx.resourceId}` },
        [{ ...ctx.request, step, prior }],
      );
      ctx.draft.compensations.push(result);
    } catch (err) {
      rethrowCancellation(err);
      const type = failureType(err);
      if (type !== undefined && isNotFoundName(type)) {
        // The resource (or what the step set) is gone: there is nothing left to restore, which is not a failure.
        ctx.draft.compensations.push({
          step,
          changed: false,
          detail: `nothing to restore: ${failureMessage(err)}`,
        });
        continue;
      }
      errors.push(`${step}: ${failureMessage(err)}`);
    }
  }
  return errors;
}
