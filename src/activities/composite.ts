/**
 * Two activities that each do what three or four separate ones did (docs/architecture.md, The path of one event;
 * the same steps, fewer billable actions): every activity scheduled is a Temporal Cloud action, and the read-only
 * preparation and the post-verification reporting do not need a durable step of their own. Each stays idempotent
 * as a whole: preparation only reads (the admission update has an idempotent id), and conclusion re-verifies,
 * re-asks the detector and overwrites its own audit object (its key does not change between attempts).
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { asError } from '../as-error';
import type { AuditRecord } from '../domain/audit-record';
import type { Analysis, Outcome, PriorState, Verification } from '../domain/remediation';
import type { ControlCheck, ControlCheckRequest } from './controls';
import type { PlaybookRequest, VerifyRequest } from './remediation-activities';
import type { Vetting } from './vet-finding';
import type { SettingsRequest, WorkerSettings } from './worker-settings';
import type { RoutedFinding } from '../domain/finding';
import { settingsFor } from '../domain/policy';
import { preparationRequest } from '../domain/preparation';
import type { WriteBackRequest } from './write-back';

/** A finding the worker refuses before any analysis. */
export type Refusal = Extract<Vetting, { trusted: false }>;

/** The single-purpose activities the composites are made of. */
export interface CompositeParts {
  workerSettings(request: SettingsRequest): Promise<WorkerSettings>;
  vetFinding(request: PlaybookRequest): Promise<Vetting>;
  analyze(request: PlaybookRequest): Promise<Analysis>;
  checkControls(request: ControlCheckRequest): Promise<ControlCheck>;
  capturePriorState(
    request: PlaybookRequest,
    observed?: Readonly<Record<string, unknown>>,
  ): Promise<PriorState>;
  verify(request: VerifyRequest): Promise<Verification>;
  reportToSource(request: WriteBackRequest): Promise<string>;
  notifyOutcome(record: AuditRecord): Promise<void>;
  recordAudit(record: AuditRecord): Promise<void>;
}

/** Which part of a preparation failed: the workflow words its escalation by it. */
export type PreparationStage = 'vetting' | 'analysis' | 'admission' | 'capture';

/** Analyse, then (when the plan can go ahead) ask admission, then (when nothing waits) record the prior state. */
export interface PrepareRequest {
  readonly request: PlaybookRequest;
  /** Absent when the workflow already knows the answer (an allow-listed resource, a dry run). */
  readonly admission?: ControlCheckRequest;
  /** Record the prior state when the analysis and admission leave nothing to wait for (mode `auto`). */
  readonly capture: boolean;
}

/** What a preparation found; it stops at the first part that leaves the workflow something to decide. */
export interface Preparation {
  /** Why the worker will not act on this finding at all (the analysis is then only a placeholder). */
  readonly refusal?: Refusal;
  readonly analysis: Analysis;
  readonly check?: ControlCheck;
  readonly prior?: PriorState;
}

/** Open an execution: the worker's settings, and the first finding's preparation made with them. */
export interface OpenRequest {
  /** The policy version the requester saw, if any (logged when it differs; the worker's policy applies). */
  readonly settings: SettingsRequest;
  readonly routed: RoutedFinding;
}

/** The worker's settings and, when they cover the finding's playbook, its first preparation. */
export interface Opening {
  readonly worker: WorkerSettings;
  readonly preparation?: Preparation;
  /**
   * Why the preparation could not be made here. It had one try, as the playbook's timeout and retries were not known
   * yet: the workflow makes it again with them when another try could succeed, else escalates as it would have.
   */
  readonly preparationFailed?: FailedPreparation;
}

/** A preparation that failed in the activity that opened the run: what its activity failure would have said. */
export interface FailedPreparation {
  readonly message: string;
  /** The AWS error name (the ApplicationFailure type), if any. */
  readonly type?: string;
  readonly stage?: PreparationStage;
  /** False when retrying cannot help (a permanent AWS error, classified once). */
  readonly retryable: boolean;
}

/** Verify, and when it passed, tell the detector, notify and audit the `REMEDIATED` outcome. */
export interface ConcludeRequest {
  /** The verification's request, with its window. */
  readonly request: VerifyRequest;
  readonly writeBack: WriteBackRequest;
  /** The outcome so far; status, reason, verification, write-back and finish time are filled in here. */
  readonly outcome: Omit<Outcome, 'status' | 'reason' | 'verification' | 'reportedToSource' | 'finishedAt'>;
}

/** The verification, and when it passed, the finished outcome and what of its delivery succeeded. */
export interface Conclusion {
  readonly verification: Verification;
  readonly outcome?: Outcome;
  readonly notified?: boolean;
  readonly audited?: boolean;
}

/** Rethrows `err` with the stage in its details, keeping its type and whether it may be retried. */
function staged(stage: PreparationStage, err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      message: err.message,
      ...(err.type ? { type: err.type } : {}),
      nonRetryable: err.nonRetryable === true,
      details: [stage],
      cause: err,
    });
  }
  const error = asError(err);
  return ApplicationFailure.create({
    message: error.message,
    type: error.name,
    details: [stage],
    cause: error,
  });
}

async function stage<T>(name: PreparationStage, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw staged(name, err);
  }
}

/** Builds `openRemediation`, `prepareRemediation` and `concludeRemediation` over the single-purpose activities. */
export function createCompositeActivities(parts: CompositeParts) {
  /** Read-only: vetting, analysis, admission and prior state in one activity, stopping at the first open question. */
  async function prepareRemediation(req: PrepareRequest): Promise<Preparation> {
    // The finding is a claim: the worker checks scope, age, protected principals and the detector first.
    const vetting = await stage('vetting', () => parts.vetFinding(req.request));
    if (!vetting.trusted) {
      return {
        refusal: vetting,
        analysis: { verdict: 'no_action', reason: vetting.reason, plan: [], observed: {} },
      };
    }
    const analysis = await stage('analysis', () => parts.analyze(req.request));
    if (analysis.verdict === 'no_action' || analysis.verdict === 'cannot_fix') return { analysis };
    let check: ControlCheck | undefined;
    if (req.admission) {
      const admission = req.admission;
      check = await stage('admission', () => parts.checkControls(admission));
      if (check.decision.decision !== 'proceed') return { analysis, check };
    }
    if (!req.capture || analysis.verdict !== 'remediate') return { analysis, ...(check ? { check } : {}) };
    // The analysis read the resource moments ago in this attempt; a playbook whose analysis made the capture's read
    // records the prior state from it rather than asking AWS again.
    const prior = await stage('capture', () => parts.capturePriorState(req.request, analysis.observed));
    return { analysis, ...(check ? { check } : {}), prior };
  }

  return {
    prepareRemediation,

    /**
     * The first activity of a run: the worker's settings and, with them, the first finding's preparation (asked
     * exactly as the workflow would ask it: src/domain/preparation.ts), one billable activity instead of two.
     */
    async openRemediation(req: OpenRequest): Promise<Opening> {
      const ctx = Context.current();
      const worker = await parts.workerSettings(req.settings);
      const { finding, playbook } = req.routed;
      const settings = settingsFor(
        worker.settings,
        playbook,
        finding.control,
        finding.details.managedControl,
      );
      if (!settings) return { worker };
      try {
        const workflowId = ctx.info.workflowExecution?.workflowId ?? '';
        const request = preparationRequest(settings, req.routed, workflowId);
        return { worker, preparation: await prepareRemediation(request) };
      } catch (err) {
        if (ctx.cancellationSignal.aborted) throw err;
        const failure = err instanceof ApplicationFailure ? err : undefined;
        const stage = failure?.details?.[0] as PreparationStage | undefined;
        const failed: FailedPreparation = {
          message: asError(err).message,
          ...(failure?.type ? { type: failure.type } : {}),
          ...(stage ? { stage } : {}),
          retryable: failure?.nonRetryable !== true,
        };
        ctx.log.warn('The first preparation failed', { error: failed.message, retryable: failed.retryable });
        return { worker, preparationFailed: failed };
      }
    },

    /**
     * Verification (reads until the fix holds or its window ends), then for a pass the write-back, notification and
     * audit record of the outcome.
     */
    async concludeRemediation(req: ConcludeRequest): Promise<Conclusion> {
      const ctx = Context.current();
      const verification = await parts.verify(req.request);
      if (!verification.passed) return { verification };
      let reportedToSource: string;
      try {
        reportedToSource = await parts.reportToSource(req.writeBack);
      } catch (err) {
        // The fix is verified; a detector that cannot be told will find it on its next evaluation. One try only:
        // retrying this activity would repeat the verification too.
        reportedToSource = `not reported: ${(err as Error).message}`;
        ctx.log.warn('Could not report the fix to the detector', { error: (err as Error).message });
      }
      const outcome: Outcome = {
        ...req.outcome,
        status: 'REMEDIATED',
        reason: verification.detail,
        verification,
        reportedToSource,
        finishedAt: new Date().toISOString(),
      };
      const record: AuditRecord = {
        kind: 'outcome',
        workflowId: req.writeBack.workflowId,
        runId: req.writeBack.runId,
        resource: outcome.finding.resource,
        playbook: outcome.playbook,
        status: outcome.status,
        reason: outcome.reason,
        outcome,
        // Stable across retries of this activity, so a retried write overwrites its own audit object.
        at: new Date(ctx.info.scheduledTimestampMs).toISOString(),
      };
      // A delivery that fails here is not retried here: the workflow sends what is missing through the durable
      // notification activities (longer retries), so a failed SNS publish never re-runs the verification.
      const [notified, audited] = await Promise.all([
        delivered(() => parts.notifyOutcome(record), 'outcome notification'),
        delivered(() => parts.recordAudit(record), 'audit record'),
      ]);
      return { verification, outcome, notified, audited };

      async function delivered(fn: () => Promise<void>, what: string): Promise<boolean> {
        try {
          await fn();
          return true;
        } catch (err) {
          ctx.log.warn(`Could not deliver the ${what}; the workflow retries it`, {
            error: (err as Error).message,
          });
          return false;
        }
      }
    },
  };
}
