/**
 * After the change: the independent read back, repeated inside one activity until the fix holds or the propagation
 * window ends (docs/architecture.md, Verification), with no durable wait before it. Without a health guard, the same
 * activity tells the detector, notifies and audits; with one, the policy's alarms are watched for the bake time
 * first. A verification that never passed escalates, or rolls back where the policy says so.
 */
import { CancellationScope, log, workflowInfo } from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/workflow';
import { shapeOf } from '../../domain/playbooks';
import { changedStepsNewestFirst } from '../../domain/remediation';
import type { Outcome, PriorState, Verification } from '../../domain/remediation';
import type { Conclusion } from '../../activities/composite';
import type { VerifyRequest } from '../../activities/remediation-activities';
import { verifyingActivityOptions } from '../activity-proxies';
import { identity, recorded } from './context';
import type { FindingContext } from './context';
import { failureMessage, failureType, rethrowCancellation } from './failures';
import { auditRecord, close, deliver, escalate, handled } from './outcome';
import { compensate } from './apply';

/** Verifies by reading the fix back until it holds (within the propagation window) and ends the finding. */
export async function verifyAndConclude(ctx: FindingContext, prior: PriorState): Promise<Outcome> {
  const { settings, resourceId } = ctx;
  const within = settings.propagationWaitMs;
  ctx.report(
    'VERIFYING',
    within > 0
      ? `Reading ${resourceId} back until the fix holds (for up to ${Math.round(within / 1000)} s)`
      : `Verifying ${resourceId} with a fresh read`,
  );
  // A remediation with failed best-effort steps escalates after its verification, so it cannot be concluded (and
  // notified as remediated) in one activity.
  const incomplete = ctx.draft.incomplete !== undefined && ctx.draft.incomplete.length > 0;
  return settings.healthGuard || incomplete ? verifyThenBake(ctx, prior) : conclude(ctx, prior);
}

/** The verification's request (the window is the worker's setting, never the input's) and its activity options. */
function readBack(
  ctx: FindingContext,
  summary: string,
): {
  request: VerifyRequest;
  options: ActivityOptions;
} {
  return {
    request: { ...ctx.request, verifyWithinMs: ctx.settings.propagationWaitMs },
    options: { summary, ...verifyingActivityOptions(ctx.settings) },
  };
}

/** Verify, tell the detector, notify and audit in one activity; only a failed verification goes on here. */
async function conclude(ctx: FindingContext, prior: PriorState): Promise<Outcome> {
  const { finding, playbook, resourceId } = ctx;
  let conclusion: Conclusion;
  const { request, options } = readBack(ctx, `Verify and report ${resourceId}`);
  try {
    conclusion = await ctx.aws.concludeRemediation.executeWithOptions(options, [
      {
        request,
        writeBack: { finding, ...identity() },
        outcome: { finding, playbook, ...recorded(ctx.draft), startedAt: ctx.startedAt },
      },
    ]);
  } catch (err) {
    rethrowCancellation(err);
    return escalate(ctx, `verification could not run: ${failureMessage(err)}`, failureType(err));
  }
  ctx.draft.verification = conclusion.verification;
  if (!conclusion.outcome) return verificationFailed(ctx, prior, conclusion.verification);
  const outcome = conclusion.outcome;
  handled(ctx, outcome);
  if (!conclusion.notified || !conclusion.audited) {
    ctx.report('NOTIFYING', `${outcome.status}: ${outcome.reason}`);
    await deliver(ctx, auditRecord(ctx, 'outcome', outcome), !conclusion.notified, !conclusion.audited);
  }
  return outcome;
}

/** Verify, watch the health guard's alarms for the bake time, tell the detector, then notify. */
async function verifyThenBake(ctx: FindingContext, prior: PriorState): Promise<Outcome> {
  const { finding, playbook, settings, resourceId } = ctx;
  let verification: Verification;
  const { request, options } = readBack(ctx, `Verify ${resourceId}`);
  try {
    verification = await ctx.aws.verify.executeWithOptions(options, [request]);
    ctx.draft.verification = verification;
  } catch (err) {
    rethrowCancellation(err);
    return escalate(ctx, `verification could not run: ${failureMessage(err)}`, failureType(err));
  }
  if (!verification.passed) return verificationFailed(ctx, prior, verification);
  // A change that hurts is undone (availability) or handed to a person (a security fix stays until someone decides).
  const guard = settings.healthGuard;
  if (guard) {
    ctx.report('BAKING', `Watching ${guard.alarms.join(', ')} for ${Math.round(guard.bakeTimeMs / 1000)} s`);
    let tripped: { alarm: string; reason: string } | undefined;
    try {
      const watch = await ctx.aws.watchAlarms.executeWithOptions(
        {
          startToCloseTimeout: guard.bakeTimeMs + 5 * 60_000,
          heartbeatTimeout: 2 * 60_000,
          retry: { maximumAttempts: 5 },
          summary: `Health guard: ${guard.alarms.join(', ')}`,
        },
        [
          {
            account: finding.resource.account,
            region: finding.resource.region === 'global' ? 'us-east-1' : finding.resource.region,
            alarms: guard.alarms,
            bakeTimeMs: guard.bakeTimeMs,
          },
        ],
      );
      tripped = watch.tripped;
      if (watch.missing.length > 0) log.warn('Health-guard alarms not found', { missing: watch.missing });
    } catch (err) {
      rethrowCancellation(err);
      return escalate(
        ctx,
        `the health guard could not watch its alarms: ${failureMessage(err)}`,
        failureType(err),
      );
    }
    if (tripped) {
      const why = `health guard: ${tripped.alarm} went to ALARM within the bake time (${tripped.reason})`;
      const kind = shapeOf(playbook, settings.shape)?.kind;
      if (kind === 'availability' || settings.allowSecurityRollback === true)
        return rollBack(ctx, prior, why);
      return escalate(
        ctx,
        `${why}; the security fix stays until a person decides (remediator rollback ${workflowInfo().workflowId})`,
        'HealthGuardTripped',
      );
    }
  }
  const unfinished = incompleteNote(ctx);
  if (unfinished) {
    return escalate(ctx, `${verification.detail}; ${unfinished}`, 'IncompleteSteps');
  }
  // Tell the detector (Config re-evaluation, Security Hub workflow status). The fix is verified and stays: this goes
  // out even if a cancellation arrives now (a detector told "resolved" about a fix then undone would never re-send).
  try {
    ctx.draft.reportedToSource = await CancellationScope.nonCancellable(() =>
      ctx.source.reportToSource.executeWithOptions({ summary: `Report the fix to ${finding.source}` }, [
        { finding, ...identity() },
      ]),
    );
  } catch (err) {
    // The fix is verified; a detector that cannot be told will find it on its next evaluation.
    ctx.draft.reportedToSource = `not reported: ${failureMessage(err)}`;
    log.warn('Could not report the fix to the detector', { resourceId, error: failureMessage(err) });
  }
  return close(ctx, 'REMEDIATED', verification.detail, true);
}

/** A verification that ran and failed: availability playbooks (or a policy that insists) undo; others escalate. */
async function verificationFailed(
  ctx: FindingContext,
  prior: PriorState,
  verification: Verification,
): Promise<Outcome> {
  if (ctx.settings.onVerifyFailure === 'rollback') {
    return rollBack(ctx, prior, `verification failed: ${verification.detail}`);
  }
  const unfinished = incompleteNote(ctx);
  return escalate(
    ctx,
    `verification failed: ${verification.detail}${unfinished ? `; ${unfinished}` : ''}`,
    'VerificationFailed',
  );
}

/** The best-effort steps that failed, worded for an escalation; `undefined` when none did. */
function incompleteNote(ctx: FindingContext): string | undefined {
  const incomplete = ctx.draft.incomplete ?? [];
  if (incomplete.length === 0) return undefined;
  const each = incomplete.map((i) => (i.reason.startsWith(i.step) ? i.reason : `${i.step}: ${i.reason}`));
  return `not done (best effort, after containment): ${each.join('; ')}`;
}

/** Undoes every change of this finding from the recorded prior state, newest first; `ROLLED_BACK` or escalated. */
async function rollBack(ctx: FindingContext, prior: PriorState, why: string): Promise<Outcome> {
  const changed = changedStepsNewestFirst(ctx.draft.changes);
  const errors = await compensate(ctx, changed, prior);
  if (errors.length > 0) {
    return escalate(ctx, `${why}; rollback incomplete: ${errors.join('; ')}`, 'RollbackFailed');
  }
  return close(
    ctx,
    'ROLLED_BACK',
    `${why}; rolled back ${changed.join(', ') || 'nothing (no change was made)'}`,
    true,
  );
}
