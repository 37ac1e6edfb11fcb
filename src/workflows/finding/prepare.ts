/**
 * Analysis: the read-only first look (one activity that also asks admission and records the prior state when
 * nothing is left to decide), and the fresh look after an approval. Its verdict either ends the finding (nothing to
 * do, cannot fix safely) or yields the plan in catalogue order.
 */
import { allowListExemption } from '../../domain/controls';
import { orderedPlan } from '../../domain/playbooks';
import { admissionRequestFor, changesAnything, preparationRequest } from '../../domain/preparation';
import type { Analysis, PlannedStep } from '../../domain/remediation';
import type { ControlCheckRequest } from '../../activities/controls';
import type { FailedPreparation, Opening, Preparation, PreparationStage } from '../../activities/composite';
import { ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import type { FindingContext, PhaseResult } from './context';
import { failureMessage, failureStage, failureType, rethrowCancellation } from './failures';
import { close, escalate, refused } from './outcome';

/** What an analysis leaves to do: its verdict, why, and the plan in catalogue order. */
export interface Assessment {
  readonly verdict: Analysis['verdict'];
  readonly reason: string;
  readonly plan: PlannedStep[];
}

/** The first analysis, with the admission and prior state the same activity could settle. */
export interface Prepared extends Assessment {
  readonly preparation: Preparation;
  /** Why the allow-list exempts the resource, when it does. */
  readonly allowListed?: string;
}

/** Whether the settings let the remediator change anything (not a dry run, not notify-only). */
export function acting(ctx: FindingContext): boolean {
  return changesAnything(ctx.settings);
}

/** What the activity that opened the run made of the first finding's preparation (with the same request). */
export type Opened = Pick<Opening, 'preparation' | 'preparationFailed'>;

/**
 * Analyses the resource; when it can go ahead, asks admission and records the prior state in the same activity.
 * `opened`: the preparation the activity that opened the run made, or its failure (prepared again when another try
 * could succeed).
 */
export async function prepare(ctx: FindingContext, opened?: Opened): Promise<PhaseResult<Prepared>> {
  ctx.report('ANALYZING', `Analysing ${ctx.finding.control} on ${ctx.resourceId}`);
  const allowListed = allowListExemption(ctx.settings.exemptions, ctx.finding.resource);
  let preparation: Preparation;
  try {
    const failed = opened?.preparationFailed;
    if (failed && !failed.retryable) throw failureOf(failed);
    preparation =
      opened?.preparation ??
      (await ctx.aws.prepareRemediation.executeWithOptions({ summary: `Analyse ${ctx.resourceId}` }, [
        preparationRequest(ctx.settings, ctx, workflowInfo().workflowId),
      ]));
    if (!preparation.refusal) ctx.draft.analysis = preparation.analysis;
  } catch (err) {
    rethrowCancellation(err);
    return { done: await escalate(ctx, preparationFailure(failureStage(err), err), failureType(err)) };
  }
  if (preparation.refusal) return { done: await refused(ctx, preparation.refusal) };
  const judged = await judge(ctx, preparation.analysis);
  if ('done' in judged) return judged;
  return { ...judged, preparation, ...(allowListed ? { allowListed } : {}) };
}

/** The failure a preparation activity would have failed with: escalated the same way. */
function failureOf(failed: FailedPreparation): ApplicationFailure {
  return ApplicationFailure.create({
    message: failed.message,
    ...(failed.type ? { type: failed.type } : {}),
    nonRetryable: !failed.retryable,
    details: failed.stage ? [failed.stage] : [],
  });
}

/** A fresh read-only analysis (after an approval: the resource may have changed while a person decided). */
export async function reassess(ctx: FindingContext, summary: string): Promise<PhaseResult<Assessment>> {
  let analysis: Analysis;
  try {
    analysis = await ctx.aws.analyze.executeWithOptions({ summary }, [ctx.request]);
    ctx.draft.analysis = analysis;
  } catch (err) {
    rethrowCancellation(err);
    return { done: await escalate(ctx, preparationFailure('analysis', err), failureType(err)) };
  }
  return judge(ctx, analysis);
}

/** Turns an analysis into a finished outcome or its verdict with the plan in catalogue order. */
async function judge(ctx: FindingContext, analysis: Analysis): Promise<PhaseResult<Assessment>> {
  if (analysis.verdict === 'no_action')
    return { done: await close(ctx, 'NO_ACTION', analysis.reason, false) };
  if (analysis.verdict === 'cannot_fix') {
    return { done: await escalate(ctx, `cannot remediate safely: ${analysis.reason}`) };
  }
  try {
    return {
      verdict: analysis.verdict,
      reason: analysis.reason,
      plan: orderedPlan(ctx.playbook, analysis.plan, ctx.settings.shape),
    };
  } catch (err) {
    const reason = `the analysis planned an invalid change: ${failureMessage(err)}`;
    return { done: await escalate(ctx, reason, 'InvalidPlan') };
  }
}

/** The admission question for the control plane; `attempt` counts the asks (a held remediation asks again). */
export function admissionRequest(ctx: FindingContext, attempt: number): ControlCheckRequest {
  return admissionRequestFor(ctx.settings, ctx, workflowInfo().workflowId, attempt);
}

/** The escalation reason for a failed analysis, admission check or prior-state read. */
export function preparationFailure(stage: PreparationStage | undefined, err: unknown): string {
  const message = failureMessage(err);
  if (stage === 'vetting') return `could not confirm the finding before any change: ${message}`;
  if (stage === 'admission') return `the admission check failed before any change: ${message}`;
  if (stage === 'capture') return `could not record the prior state: ${message}`;
  return `analysis failed: ${message}`;
}
