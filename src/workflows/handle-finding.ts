/**
 * The per-finding state machine of DESIGN §1: analyse → (ticket + escalate | no action | dry run) → capture prior
 * state → apply steps (compensate on failure) → durable propagation wait → independent verify → notify.
 */
import { ActivityFailure, ApplicationFailure, log, patched, sleep, workflowInfo } from '@temporalio/workflow';
import { samePlan } from '../domain/approval';
import type { ApprovalRequest, RecordedApproval } from '../domain/approval';
import type { AuditRecord } from '../domain/audit-record';
import type { RoutedFinding } from '../domain/finding';
import { DEFAULT_APPROVAL_TIMEOUT_MS } from '../domain/policy';
import type { PlaybookSettings } from '../domain/policy';
import type {
  Analysis,
  AppliedChange,
  Escalation,
  Outcome,
  OutcomeStatus,
  PhaseStatus,
  PlannedStep,
  PriorState,
  StepResult,
  Verification,
} from '../domain/remediation';
import { allowListExemption, DEFAULT_EXEMPTION_TAG } from '../domain/controls';
import { isNotFoundName } from '../domain/not-found';
import { orderedPlan, PLAYBOOKS, stepFailureMode } from '../domain/playbooks';
import {
  activitiesWith,
  awsActivityOptions,
  NOTIFY_ACTIVITY_OPTIONS,
  WRITE_BACK_ACTIVITY_OPTIONS,
} from './activity-proxies';
import type { Conclusion, PreparationStage, Preparation } from '../activities/composite';
import type { ControlCheck, ControlCheckRequest } from '../activities/controls';
import type { ApprovalGate } from './approval-gate';
import type { PauseGate } from './pause-gate';

/** Marks executions that wait for approval in the workflow (older ones escalated with a ticket instead). */
const AWAIT_APPROVAL_PATCH = 'await-approval';
/** Marks executions that pass the operator controls (exemptions, pauses, flapping, breaker) before changing. */
const OPERATOR_CONTROLS_PATCH = 'operator-controls';
/** Marks executions that escalate when the admission check fails (older ones failed the execution instead). */
const ADMISSION_FAILURE_PATCH = 'escalate-admission-failure';

/** Lets the handler report its phase to the execution (search attribute, query, UI details). */
export type PhaseReporter = (phase: PhaseStatus, details: string) => void;

/** Mutable pieces of an outcome while it is being built. */
interface Draft {
  analysis?: Analysis;
  approval?: RecordedApproval;
  prior?: PriorState;
  changes: AppliedChange[];
  compensations: StepResult[];
  verification?: Verification;
  escalation?: Escalation;
  reportedToSource?: string;
}

/**
 * Handles one finding to its outcome. Never throws for AWS failures: they become escalations.
 *
 * `lean` (the `remediationWorkflowV2` type): every versioned behaviour is on without a patch marker (no execution of
 * that type predates them), and the read-only preparation and the verified outcome's reporting run as one activity
 * each (`prepareRemediation`, `concludeRemediation`) instead of three and four: the same steps, fewer billable actions.
 */
export async function handleFinding(
  routed: RoutedFinding,
  settings: PlaybookSettings,
  report: PhaseReporter,
  gate: ApprovalGate,
  pause: PauseGate,
  lean = false,
): Promise<Outcome> {
  const { finding, playbook } = routed;
  const resourceId = finding.resource.resourceId;
  const aws = activitiesWith(awsActivityOptions(settings));
  const notify = activitiesWith(NOTIFY_ACTIVITY_OPTIONS);
  const request = { finding, playbook, ...(settings.options ? { options: settings.options } : {}) };
  const startedAt = new Date().toISOString();
  const approvalTimeoutMs = settings.approvalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS;
  const draft: Draft = { changes: [], compensations: [] };
  /** Whether a versioned behaviour applies: always in the lean type, by its patch marker in the first one. */
  const has = (patch: string): boolean => lean || patched(patch);

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
      try {
        ticket = await notify.createTicket.executeWithOptions(
          { ...NOTIFY_ACTIVITY_OPTIONS, summary: `Ticket for ${resourceId}` },
          [{ ...identity(), finding, playbook, reason }],
        );
      } catch (err) {
        // The page to on-call below still goes out; a ticket system that is down must not lose the escalation.
        log.error('Could not open a ticket', { resourceId, error: failureMessage(err) });
      }
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
    await deliver(auditRecord('outcome', outcome), notifyPeople, true);
    return outcome;
  };

  /** Notifies people and/or writes the audit record of an outcome, durably (long retries), best effort. */
  const deliver = async (record: AuditRecord, notifyPeople: boolean, audit: boolean): Promise<void> => {
    await bestEffort('outcome notification', () =>
      Promise.all([
        notifyPeople
          ? notify.notifyOutcome.executeWithOptions(
              { ...NOTIFY_ACTIVITY_OPTIONS, summary: `Notify ${record.status}` },
              [record],
            )
          : Promise.resolve(),
        audit
          ? notify.recordAudit.executeWithOptions({ ...NOTIFY_ACTIVITY_OPTIONS, summary: 'Audit record' }, [
              record,
            ])
          : Promise.resolve(),
      ]),
    );
  };

  // 1. Analyse (read-only). The lean type asks admission and records the prior state in the same activity.
  report('ANALYZING', `Analysing ${finding.control} on ${resourceId}`);
  const allowListed = allowListExemption(settings.exemptions, finding.resource);
  const acting = settings.mode !== 'dryRun' && settings.mode !== 'notify';
  let preparation: Preparation | undefined;
  if (lean) {
    try {
      preparation = await aws.prepareRemediation.executeWithOptions(
        { ...awsActivityOptions(settings), summary: `Analyse ${resourceId}` },
        [
          {
            request,
            ...(acting && !allowListed ? { admission: admissionRequest(1) } : {}),
            capture: settings.mode === 'auto' && !allowListed,
          },
        ],
      );
      draft.analysis = preparation.analysis;
    } catch (err) {
      return escalate(preparationFailure(failureStage(err), err), failureType(err), true);
    }
  }
  const first = preparation ? await judge(preparation.analysis) : await assess(`Analyse ${resourceId}`);
  if ('done' in first) return first.done;
  // Executions recorded before in-workflow approval existed escalated here; they replay that way.
  if (first.verdict === 'needs_approval' && !has(AWAIT_APPROVAL_PATCH)) {
    return escalate(`needs approval before changing anything: ${first.reason}`, 'ApprovalRequired', true);
  }
  let plan = first.plan;
  let approvalWhy =
    first.verdict === 'needs_approval'
      ? first.reason
      : settings.mode === 'approve'
        ? `the policy requires approval for ${playbook}`
        : undefined;
  if (settings.mode === 'dryRun' || settings.mode === 'notify') {
    const described = plan.map((s) => s.description).join('; ');
    const gateNote = approvalWhy ? ` after approval (${approvalWhy})` : '';
    // notify: people learn what is wrong and what the fix would be; the remediator itself takes no action.
    return settings.mode === 'dryRun'
      ? close('DRY_RUN', `dry run, nothing changed; would${gateNote}: ${described}`, true)
      : close(
          'NO_ACTION',
          `notify mode, nothing changed: ${first.reason}; the fix would${gateNote}: ${described}`,
          true,
        );
  }

  // 1b. Operator controls, before the first change: allow-lists, the exemption tag and the control plane's
  // exemptions, pauses, flap detection and breaker. Executions from before they existed replay without them.
  if (has(OPERATOR_CONTROLS_PATCH)) {
    if (allowListed) return close('EXEMPT', allowListed, true);
    const controls = activitiesWith(awsActivityOptions(settings));
    for (let attempt = 1; ; attempt += 1) {
      let check: ControlCheck;
      try {
        const prepared = attempt === 1 ? preparation?.check : undefined;
        check =
          prepared ??
          (await controls.checkControls.executeWithOptions(
            { ...awsActivityOptions(settings), summary: `Admission of ${resourceId}` },
            [admissionRequest(attempt)],
          ));
      } catch (err) {
        // A failed admission check (e.g. AccessDenied reading the resource's tags) used to fail the whole execution:
        // nobody was paged and nothing was audited. Executions that failed that way replay as they were.
        if (!has(ADMISSION_FAILURE_PATCH)) throw err;
        return escalate(preparationFailure('admission', err), failureType(err), true);
      }
      const d = check.decision;
      if (d.decision === 'exempt') return close('EXEMPT', d.reason, true);
      if (d.decision === 'flapping') {
        const where = check.managedBy ? `; it is managed by ${check.managedBy}: fix it there` : '';
        return escalate(`${d.reason}${where}`, 'Flapping', true);
      }
      if (d.decision === 'paused') {
        report('PAUSED', `Held before changing anything: ${d.reason}`);
        await pause.hold();
        continue;
      }
      if (d.decision === 'approve') {
        approvalWhy = approvalWhy ? `${approvalWhy}; ${d.reason}` : d.reason;
        // On-call hears of a trip once per window (the first admission over the limit), not once per held
        // remediation. Decisions recorded before the flag existed lack it and page, as they did.
        if (d.firstOverLimit !== false)
          await bestEffort('breaker alert', () =>
            notify.notifyOncall.executeWithOptions(
              { ...NOTIFY_ACTIVITY_OPTIONS, summary: 'Breaker tripped: alert on-call' },
              [
                {
                  kind: 'escalation',
                  ...identity(),
                  resource: finding.resource,
                  playbook,
                  status: 'AWAITING_APPROVAL',
                  reason: `${d.reason}; new remediations wait for approval`,
                  at: new Date().toISOString(),
                },
              ],
            ),
          );
      }
      break;
    }
  }

  // 1c. Approval: wait durably for a person, re-read the resource after approval, and ask again if the plan changed.
  for (let attempt = 1; approvalWhy !== undefined; attempt += 1) {
    const ask = approvalRequest(attempt, approvalWhy, plan);
    // The lean type takes a decision from the moment it shows AWAITING_APPROVAL (the first one only once the request
    // was sent: an early `approve` was refused with "nothing is waiting").
    if (lean) gate.open(ask);
    report('AWAITING_APPROVAL', `Waiting for approval (${ask.requestId}): ${ask.why}`);
    await bestEffort('approval request', () =>
      notify.notifyOutcome.executeWithOptions(
        { ...NOTIFY_ACTIVITY_OPTIONS, summary: `Ask for approval: ${resourceId}` },
        [
          {
            kind: 'approval-request',
            ...identity(),
            resource: finding.resource,
            playbook,
            status: 'AWAITING_APPROVAL',
            reason: ask.why,
            approvalRequest: ask,
            at: ask.requestedAt,
          },
        ],
      ),
    );
    const decision = await gate.decide(ask, approvalTimeoutMs);
    if (!decision) {
      const waited = `${Math.round(approvalTimeoutMs / 1000)} s`;
      return escalate(`no approval decision within ${waited} for: ${ask.why}`, 'ApprovalTimeout', true);
    }
    draft.approval = decision;
    if (decision.decision === 'reject') {
      return close('REJECTED', `rejected by ${decision.by}: ${decision.reason}`, true);
    }
    report('ANALYZING', `Approved by ${decision.by}; re-reading ${resourceId} before applying`);
    const fresh = await assess(`Re-analyse ${resourceId} after approval`);
    if ('done' in fresh) return fresh.done;
    if (samePlan(fresh.plan, plan)) break;
    log.info('The resource changed while waiting for approval; asking again', { resourceId, attempt });
    plan = fresh.plan;
  }

  // 2. Capture the prior state before anything changes, so a retried apply can never record the new state as prior.
  // A lean preparation recorded it already when nothing was waited for (after a wait, the resource is read again).
  let prior: PriorState;
  if (preparation?.prior && draft.approval === undefined) {
    prior = preparation.prior;
    draft.prior = prior;
  } else {
    report('CAPTURING', `Recording the current state of ${resourceId}`);
    try {
      prior = await aws.capturePriorState.executeWithOptions(
        { ...awsActivityOptions(settings), summary: `Record prior state of ${resourceId}` },
        [request],
      );
      draft.prior = prior;
    } catch (err) {
      return escalate(preparationFailure('capture', err), failureType(err), true);
    }
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
  if (lean && !settings.healthGuard) {
    // Verify, tell the detector, notify and audit in one activity; only a failed verification goes on below.
    let conclusion: Conclusion;
    try {
      conclusion = await aws.concludeRemediation.executeWithOptions(
        { ...awsActivityOptions(settings), summary: `Verify and report ${resourceId}` },
        [
          {
            request,
            writeBack: { finding, ...identity() },
            outcome: { finding, playbook, ...draft, startedAt },
          },
        ],
      );
    } catch (err) {
      return escalate(`verification could not run: ${failureMessage(err)}`, failureType(err), true);
    }
    draft.verification = conclusion.verification;
    if (!conclusion.outcome) return verificationFailed(conclusion.verification);
    const outcome = conclusion.outcome;
    if (!conclusion.notified || !conclusion.audited) {
      report('NOTIFYING', `${outcome.status}: ${outcome.reason}`);
      await deliver(auditRecord('outcome', outcome), !conclusion.notified, !conclusion.audited);
    }
    log.info('Finding handled', { resourceId, playbook, status: outcome.status, reason: outcome.reason });
    return outcome;
  }
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
  if (!verification.passed) return verificationFailed(verification);
  // Health guard: watch the policy's alarms for the bake time; a change that hurts is undone (availability) or
  // handed to a person (a security fix stays until someone decides).
  if (settings.healthGuard) {
    const guard = settings.healthGuard;
    report('BAKING', `Watching ${guard.alarms.join(', ')} for ${Math.round(guard.bakeTimeMs / 1000)} s`);
    let tripped: { alarm: string; reason: string } | undefined;
    try {
      const watch = await aws.watchAlarms.executeWithOptions(
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
      return escalate(
        `the health guard could not watch its alarms: ${failureMessage(err)}`,
        failureType(err),
        true,
      );
    }
    if (tripped) {
      const why = `health guard: ${tripped.alarm} went to ALARM within the bake time (${tripped.reason})`;
      const kind = PLAYBOOKS[playbook as keyof typeof PLAYBOOKS]?.kind;
      if (kind === 'availability' || settings.allowSecurityRollback === true) return rollBack(why);
      return escalate(
        `${why}; the security fix stays until a person decides (remediator rollback ${workflowInfo().workflowId})`,
        'HealthGuardTripped',
        true,
      );
    }
  }
  // Tell the detector (Config re-evaluation, Security Hub workflow status). Versioned: histories recorded before this
  // existed replay without it.
  if (has('write-back-to-source')) {
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

  /**
   * Runs the read-only analysis and turns its verdict into either a finished outcome (no action, cannot fix, failed)
   * or the verdict with its plan in catalogue order.
   */
  async function assess(
    summary: string,
  ): Promise<{ done: Outcome } | { verdict: Analysis['verdict']; reason: string; plan: PlannedStep[] }> {
    let analysis: Analysis;
    try {
      analysis = await aws.analyze.executeWithOptions({ ...awsActivityOptions(settings), summary }, [
        request,
      ]);
      draft.analysis = analysis;
    } catch (err) {
      return { done: await escalate(preparationFailure('analysis', err), failureType(err), true) };
    }
    return judge(analysis);
  }

  /** Turns an analysis into a finished outcome or its verdict with the plan in catalogue order. */
  async function judge(
    analysis: Analysis,
  ): Promise<{ done: Outcome } | { verdict: Analysis['verdict']; reason: string; plan: PlannedStep[] }> {
    if (analysis.verdict === 'no_action') return { done: await close('NO_ACTION', analysis.reason, false) };
    if (analysis.verdict === 'cannot_fix') {
      return { done: await escalate(`cannot remediate safely: ${analysis.reason}`, undefined, true) };
    }
    try {
      return {
        verdict: analysis.verdict,
        reason: analysis.reason,
        plan: orderedPlan(playbook, analysis.plan),
      };
    } catch (err) {
      const reason = `the analysis planned an invalid change: ${failureMessage(err)}`;
      return { done: await escalate(reason, 'InvalidPlan', true) };
    }
  }

  /** The admission question for the control plane; `attempt` counts the asks (a held remediation asks again). */
  function admissionRequest(attempt: number): ControlCheckRequest {
    const containment = PLAYBOOKS[playbook as keyof typeof PLAYBOOKS]?.kind === 'containment';
    return {
      workflowId: workflowInfo().workflowId,
      finding,
      playbook,
      attempt,
      // Tags are ignored for containment: a compromised principal can write them.
      ...(containment ? {} : { exemptionTagKey: settings.exemptions?.tagKey ?? DEFAULT_EXEMPTION_TAG }),
      ...(settings.breaker ? { breaker: settings.breaker } : {}),
      ...(settings.flapping ? { flapping: settings.flapping } : {}),
    };
  }

  /** The escalation reason for a failed analysis, admission check or prior-state read. */
  function preparationFailure(stage: PreparationStage | undefined, err: unknown): string {
    const message = failureMessage(err);
    if (stage === 'admission') return `the admission check failed before any change: ${message}`;
    if (stage === 'capture') return `could not record the prior state: ${message}`;
    return `analysis failed: ${message}`;
  }

  /** A verification that ran and failed: availability playbooks (or a policy that insists) undo; others escalate. */
  async function verificationFailed(verification: Verification): Promise<Outcome> {
    if (settings.onVerifyFailure === 'rollback')
      return rollBack(`verification failed: ${verification.detail}`);
    return escalate(`verification failed: ${verification.detail}`, 'VerificationFailed', true);
  }

  function approvalRequest(attempt: number, why: string, plan: readonly PlannedStep[]): ApprovalRequest {
    const requestedAt = new Date();
    return {
      requestId: `${finding.eventId}#${attempt}`,
      playbook,
      control: finding.control,
      why: attempt === 1 ? why : `the resource changed while waiting, so this is a new plan; ${why}`,
      plan,
      requestedAt: requestedAt.toISOString(),
      expiresAt: new Date(requestedAt.getTime() + approvalTimeoutMs).toISOString(),
    };
  }

  /** Undoes every change of this finding from the recorded prior state, newest first; `ROLLED_BACK` or escalated. */
  async function rollBack(why: string): Promise<Outcome> {
    const changed = draft.changes
      .filter((c) => c.changed)
      .map((c) => c.step)
      .reverse();
    const errors = prior ? await compensate(changed, prior) : ['no prior state recorded'];
    if (errors.length > 0) {
      return escalate(`${why}; rollback incomplete: ${errors.join('; ')}`, 'RollbackFailed', true);
    }
    return close(
      'ROLLED_BACK',
      `${why}; rolled back ${changed.join(', ') || 'nothing (no change was made)'}`,
      true,
    );
  }

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
        const type = failureType(err);
        if (type !== undefined && isNotFoundName(type)) {
          // The resource (or what the step set) is gone: there is nothing left to restore, which is not a failure.
          draft.compensations.push({
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

/** Which part of a lean preparation failed, from the stage its activity put in the failure's details. */
function failureStage(err: unknown): PreparationStage | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  const stage = cause instanceof ApplicationFailure ? cause.details?.[0] : undefined;
  return stage === 'analysis' || stage === 'admission' || stage === 'capture' ? stage : undefined;
}

/** The AWS error name carried as the ApplicationFailure type, if any. */
export function failureType(err: unknown): string | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}
