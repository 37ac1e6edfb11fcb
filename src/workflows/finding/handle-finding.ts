/**
 * One finding, from analysis to its outcome (docs/architecture.md, The path of one event): prepare → (no action |
 * escalate | dry run | notify) → admit → approve → record prior state → apply (compensate on failure) → verify →
 * notify. Each phase is its own module; this file only puts them in order. Never throws for AWS failures: they
 * become escalations. A cancellation of the execution ends the finding as `CANCELLED` (see ./cancel).
 */
import { isCancellation } from '@temporalio/workflow';
import type { RoutedFinding } from '../../domain/finding';
import type { PlaybookSettings } from '../../domain/policy';
import type { Outcome } from '../../domain/remediation';
import type { ApprovalGate } from '../approval-gate';
import type { CancellationNote } from '../definitions';
import type { PauseGate } from '../pause-gate';
import { admit } from './admit';
import { applyPlan, capture } from './apply';
import { approve } from './approve';
import { cancelled } from './cancel';
import { findingContext } from './context';
import type { FindingContext, PhaseReporter } from './context';
import { close } from './outcome';
import { acting, prepare } from './prepare';
import type { Opened } from './prepare';
import { verifyAndConclude } from './verify';

export type { PhaseReporter } from './context';

/**
 * Handles one finding to its outcome; `CANCELLED` when the execution is cancelled while it works, naming who asked
 * when `cancellationNote` has a note. `opened`: what the activity that opened the run made of the finding's
 * preparation.
 */
export async function handleFinding(
  routed: RoutedFinding,
  settings: PlaybookSettings,
  report: PhaseReporter,
  gate: ApprovalGate,
  pause: PauseGate,
  cancellationNote: () => CancellationNote | undefined,
  opened?: Opened,
): Promise<Outcome> {
  const ctx = findingContext(routed, settings, report, gate, pause);
  try {
    return await remediate(ctx, opened);
  } catch (err) {
    if (isCancellation(err)) return cancelled(ctx, cancellationNote());
    throw err;
  }
}

/** `opened`: what the activity that opened the run made of the first finding's preparation. */
async function remediate(ctx: FindingContext, opened: Opened | undefined): Promise<Outcome> {
  const { settings, playbook } = ctx;
  const prepared = await prepare(ctx, opened);
  if ('done' in prepared) return prepared.done;
  const policyWhy = settings.mode === 'approve' ? `the policy requires approval for ${playbook}` : undefined;
  const analysisWhy = prepared.verdict === 'needs_approval' ? prepared.reason : undefined;
  if (!acting(ctx)) return describeOnly(ctx, prepared.plan, analysisWhy ?? policyWhy, prepared.reason);

  const admitted = await admit(ctx, prepared, analysisWhy ?? policyWhy);
  if ('done' in admitted) return admitted.done;
  let plan = prepared.plan;
  if (admitted.approvalWhy !== undefined) {
    const approved = await approve(ctx, plan, admitted.approvalWhy);
    if ('done' in approved) return approved.done;
    plan = approved.plan;
  }

  const captured = await capture(ctx, prepared.preparation.prior);
  if ('done' in captured) return captured.done;
  const applied = await applyPlan(ctx, plan, captured.prior);
  if ('done' in applied) return applied.done;
  return verifyAndConclude(ctx, captured.prior);
}

/** Dry run and notify mode: record (and tell people) what the fix would be; nothing changes. */
function describeOnly(
  ctx: FindingContext,
  plan: readonly { readonly description: string }[],
  approvalWhy: string | undefined,
  reason: string,
): Promise<Outcome> {
  const described = plan.map((s) => s.description).join('; ');
  const gateNote = approvalWhy ? ` after approval (${approvalWhy})` : '';
  return ctx.settings.mode === 'dryRun'
    ? close(ctx, 'DRY_RUN', `dry run, nothing changed; would${gateNote}: ${described}`, true)
    : close(
        ctx,
        'NO_ACTION',
        `notify mode, nothing changed: ${reason}; the fix would${gateNote}: ${described}`,
        true,
      );
}
