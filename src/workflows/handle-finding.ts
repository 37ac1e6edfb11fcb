/**
 * The per-finding state machine of DESIGN §1: analyse → (ticket + escalate | no action | dry run) → capture prior
 * state → apply steps (compensate on failure) → durable propagation wait → independent verify → notify.
 */
import { ActivityFailure, ApplicationFailure, log, patched, sleep, workflowInfo } from '@temporalio/workflow';
import type { RoutedFinding } from '../domain/finding';
import type { PlaybookSettings } from '../domain/policy';
import type {
  Analysis,
  AppliedChange,
  AuditRecord,
  Escalation,
  Outcome,
  OutcomeStatus,
  PhaseStatus,
  PlannedStep,
  PriorState,
  StepResult,
  Verification,
} from '../domain/remediation';
import { orderedPlan, stepFailureMode } from '../domain/playbooks';
import {
  activitiesWith,
  awsActivityOptions,
  NOTIFY_ACTIVITY_OPTIONS,
  WRITE_BACK_ACTIVITY_OPTIONS,
} from './activity-proxies';

/** Lets the handler report its phase to the execution (search attribute, query, UI details). */
export type PhaseReporter = (phase: PhaseStatus, details: string) => void;

/** Mutable pieces of an outcome while it is being built. */
interface Draft {
  analysis?: Analysis;
  prior?: PriorState;
  changes: AppliedChange[];
  compensations: StepResult[];
  verification?: Verification;
  escalation?: Escalation;
  reportedToSource?: string;
}

/** Handles one finding to its outcome. Never throws for AWS failures: they become escalations. */
export async function handleFinding(
  routed: RoutedFinding,
  settings: PlaybookSettings,
  report: PhaseReporter,
): Promise<Outcome> {
  const { finding, playbook } = routed;
  const resourceId = finding.resource.resourceId;
  const aws = activitiesWith(awsActivityOptions(settings));
  const notify = activitiesWith(NOTIFY_ACTIVITY_OPTIONS);
  const request = { finding, playbook, ...(settings.options ? { options: settings.options } : {}) };
  const startedAt = new Date().toISOString();
  const draft: Draft = { changes: [], compensations: [] };

  const finish = async (status: OutcomeStatus, reason: string): Promise<Outcome> => {
    const outcome: Outcome = {
      finding,
      playbook,
      status,
      reason,
      ...draft,
      startedAt,
      finishedAt: new Date().toISOString(),
    };
    log.info('Finding handled', { resourceId, playbook, status, reason });
    return outcome;
  };

  const escalate = async (reason: string, errorType?: string, withTicket = false): Promise<Outcome> => {
    report('ESCALATING', `Escalating: ${reason}`);
    let ticket: string | undefined;
    if (withTicket) {
      ticket = await notify.createTicket.executeWithOptions(
        { ...NOTIFY_ACTIVITY_OPTIONS, summary: `Ticket for ${resourceId}` },
        [{ ...identity(), finding, playbook, reason }],
      );
    }
    draft.escalation = { reason, ...(ticket ? { ticket } : {}), ...(errorType ? { errorType } : {}) };
    const outcome = await finish('ESCALATED', reason);
    const record = auditRecord('escalation', outcome);
    await bestEffort('escalation', () =>
      Promise.all([
        notify.notifyOncall.executeWithOptions(
          { ...NOTIFY_ACTIVITY_OPTIONS, summary: `Page on-call: ${resourceId}` },
          [record],
        ),
        notify.recordAudit.executeWithOptions(
          { ...NOTIFY_ACTIVITY_OPTIONS, summary: 'Dashboard/audit record' },
          [record],
        ),
      ]),
    );
    return outcome;
  };

  const close = async (status: OutcomeStatus, reason: string, notifyPeople: boolean): Promise<Outcome> => {
    report('NOTIFYING', `${status}: ${reason}`);
    const outcome = await finish(status, reason);
    const record = auditRecord('outcome', outcome);
    await bestEffort('outcome notification', () =>
      Promise.all([
        notifyPeople
          ? notify.notifyOutcome.executeWithOptions(
              { ...NOTIFY_ACTIVITY_OPTIONS, summary: `Notify ${status}` },
              [record],
            )
          : Promise.resolve(),
        notify.recordAudit.executeWithOptions({ ...NOTIFY_ACTIVITY_OPTIONS, summary: 'Audit record' }, [
          record,
        ]),
      ]),
    );
    return outcome;
  };

  // 1. Analyse (read-only).
  report('ANALYZING', `Analysing ${finding.control} on ${resourceId}`);
  let analysis: Analysis;
  try {
    analysis = await aws.analyze.executeWithOptions(
      { ...awsActivityOptions(settings), summary: `Analyse ${resourceId}` },
      [request],
    );
    draft.analysis = analysis;
  } catch (err) {
    return escalate(`analysis failed: ${failureMessage(err)}`, failureType(err), true);
  }
  if (analysis.verdict === 'no_action') return close('NO_ACTION', analysis.reason, false);
  if (analysis.verdict === 'cannot_fix')
    return escalate(`cannot remediate safely: ${analysis.reason}`, undefined, true);
  if (analysis.verdict === 'needs_approval') {
    // Until in-workflow approval exists (operator-controls issue), a person decides through the ticket.
    return escalate(`needs approval before changing anything: ${analysis.reason}`, 'ApprovalRequired', true);
  }
  let plan: PlannedStep[];
  try {
    plan = orderedPlan(playbook, analysis.plan);
  } catch (err) {
    return escalate(`the analysis planned an invalid change: ${failureMessage(err)}`, 'InvalidPlan', true);
  }
  if (settings.mode === 'dryRun') {
    const described = plan.map((s) => s.description).join('; ');
    return close('DRY_RUN', `dry run, nothing changed; would: ${described}`, true);
  }

  // 2. Capture the prior state before anything changes, so a retried apply can never record the new state as prior.
  report('CAPTURING', `Recording the current state of ${resourceId}`);
  let prior: PriorState;
  try {
    prior = await aws.capturePriorState.executeWithOptions(
      { ...awsActivityOptions(settings), summary: `Record prior state of ${resourceId}` },
      [request],
    );
    draft.prior = prior;
  } catch (err) {
    return escalate(`could not record the prior state: ${failureMessage(err)}`, failureType(err), true);
  }

  // 3. Apply each step; on a failure, compensate what may have changed, newest first.
  for (const planned of plan) {
    report('APPLYING', `Applying ${planned.step}: ${planned.description}`);
    try {
      const result = await aws.applyStep.executeWithOptions(
        { ...awsActivityOptions(settings), summary: `${planned.step} on ${resourceId}` },
        [{ ...request, step: planned.step, prior }],
      );
      draft.changes.push({ ...result, prior, at: new Date().toISOString() });
    } catch (err) {
      const reason = `step ${planned.step} failed: ${failureMessage(err)}`;
      log.warn('Apply step failed; compensating', {
        resourceId,
        step: planned.step,
        error: failureMessage(err),
      });
      // The failed step may have reached AWS before failing, so it is restored too; restores are idempotent.
      // Fail-closed steps (containment) keep what they did.
      const touched = [
        planned.step,
        ...draft.changes
          .filter((c) => c.changed)
          .map((c) => c.step)
          .reverse(),
      ];
      const toRestore = touched.filter((step) => stepFailureMode(playbook, step) === 'compensate');
      const kept = touched.filter((step) => stepFailureMode(playbook, step) === 'fail-closed');
      const compensationErrors = await compensate(toRestore, prior);
      const details = [
        reason,
        ...(kept.length ? [`kept (fail closed): ${kept.join(', ')}`] : []),
        ...(compensationErrors.length ? [`compensation incomplete: ${compensationErrors.join('; ')}`] : []),
      ];
      return escalate(details.join('; '), failureType(err), true);
    }
  }

  // 4. Durable wait for the change to propagate, then an independent read.
  if (settings.propagationWaitMs > 0) {
    report('WAITING_PROPAGATION', `Waiting ${settings.propagationWaitMs} ms for the change to propagate`);
    await sleep(settings.propagationWaitMs, { summary: 'Propagation wait before verification' });
  }
  report('VERIFYING', `Verifying ${resourceId} with a fresh read`);
  let verification: Verification;
  try {
    verification = await aws.verify.executeWithOptions(
      { ...awsActivityOptions(settings), summary: `Verify ${resourceId}` },
      [request],
    );
    draft.verification = verification;
  } catch (err) {
    return escalate(`verification could not run: ${failureMessage(err)}`, failureType(err), true);
  }
  if (!verification.passed) {
    return escalate(`verification failed: ${verification.detail}`, 'VerificationFailed', true);
  }
  // Tell the detector (Config re-evaluation, Security Hub workflow status). Versioned: histories recorded before this
  // existed replay without it.
  if (patched('write-back-to-source')) {
    const source = activitiesWith(WRITE_BACK_ACTIVITY_OPTIONS);
    try {
      draft.reportedToSource = await source.reportToSource.executeWithOptions(
        { ...WRITE_BACK_ACTIVITY_OPTIONS, summary: `Report the fix to ${finding.source}` },
        [{ finding, ...identity() }],
      );
    } catch (err) {
      // The fix is verified; a detector that cannot be told will find it on its next evaluation.
      draft.reportedToSource = `not reported: ${failureMessage(err)}`;
      log.warn('Could not report the fix to the detector', { resourceId, error: failureMessage(err) });
    }
  }
  return close('REMEDIATED', verification.detail, true);

  async function compensate(steps: string[], priorState: PriorState): Promise<string[]> {
    const errors: string[] = [];
    for (const step of steps) {
      report('COMPENSATING', `Restoring ${step} from the recorded prior state`);
      try {
        const result = await aws.compensateStep.executeWithOptions(
          { ...awsActivityOptions(settings), summary: `Restore ${step} on ${resourceId}` },
          [{ ...request, step, prior: priorState }],
        );
        draft.compensations.push(result);
      } catch (err) {
        errors.push(`${step}: ${failureMessage(err)}`);
      }
    }
    return errors;
  }

  function auditRecord(kind: AuditRecord['kind'], outcome: Outcome): AuditRecord {
    return {
      kind,
      ...identity(),
      resource: finding.resource,
      playbook,
      status: outcome.status,
      reason: outcome.reason,
      outcome,
      at: new Date().toISOString(),
    };
  }

  async function bestEffort(what: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      // The outcome stands; the history keeps the failed attempts for whoever investigates.
      log.error(`Could not deliver ${what}`, { resourceId, error: failureMessage(err) });
    }
  }
}

function identity(): { workflowId: string; runId: string } {
  const info = workflowInfo();
  return { workflowId: info.workflowId, runId: info.runId };
}

/** The innermost message of an activity failure (the AWS error's, where there is one). */
export function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The AWS error name carried as the ApplicationFailure type, if any. */
export function failureType(err: unknown): string | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}
