/**
 * What every phase of one finding's remediation shares: the finding, its playbook's settings, the activity stubs
 * (options set once per stub), the outcome being built, and the execution's gates and phase reporter.
 */
import { workflowInfo } from '@temporalio/workflow';
import type { ActivityInterfaceFor } from '@temporalio/workflow';
import type { Finding, RoutedFinding } from '../../domain/finding';
import { DEFAULT_APPROVAL_TIMEOUT_MS } from '../../domain/policy';
import type { PlaybookSettings } from '../../domain/policy';
import type {
  Analysis,
  AppliedChange,
  Escalation,
  IncompleteStep,
  Outcome,
  PhaseStatus,
  PriorState,
  StepResult,
  Verification,
} from '../../domain/remediation';
import type { RecordedApproval } from '../../domain/approval';
import type { PlaybookRequest } from '../../activities/remediation-activities';
import { shapeOf } from '../../domain/playbooks';
import { playbookRequest } from '../../domain/preparation';
import {
  activitiesWith,
  awsActivityOptions,
  containmentActivityOptions,
  NOTIFY_ACTIVITY_OPTIONS,
  WRITE_BACK_ACTIVITY_OPTIONS,
} from '../activity-proxies';
import type { RemediationActivities } from '../activity-proxies';
import type { ApprovalGate } from '../approval-gate';
import type { PauseGate } from '../pause-gate';

/** Lets the handler report its phase to the execution (search attribute, query, UI details). */
export type PhaseReporter = (phase: PhaseStatus, details: string) => void;

/** Mutable pieces of an outcome while it is being built. */
export interface Draft {
  analysis?: Analysis;
  approval?: RecordedApproval;
  prior?: PriorState;
  changes: AppliedChange[];
  compensations: StepResult[];
  incomplete?: IncompleteStep[];
  verification?: Verification;
  escalation?: Escalation;
  reportedToSource?: string;
  /** The apply step in flight: it may have reached AWS even if it never returned. */
  applying?: string;
}

/** The shared state of one finding's remediation. */
export interface FindingContext {
  readonly finding: Finding;
  readonly playbook: string;
  readonly resourceId: string;
  readonly settings: PlaybookSettings;
  /** What every playbook activity is asked with. */
  readonly request: PlaybookRequest;
  readonly startedAt: string;
  readonly approvalTimeoutMs: number;
  readonly draft: Draft;
  readonly report: PhaseReporter;
  readonly gate: ApprovalGate;
  readonly pause: PauseGate;
  /** AWS-facing activities: the playbook's timeout and retry policy. */
  readonly aws: ActivityInterfaceFor<RemediationActivities>;
  /** Notifications, tickets and audit records: long retries. */
  readonly notify: ActivityInterfaceFor<RemediationActivities>;
  /** Telling the detector about a verified fix: a few quick tries. */
  readonly source: ActivityInterfaceFor<RemediationActivities>;
}

/** Builds the context of one finding at the moment its handling starts. */
export function findingContext(
  routed: RoutedFinding,
  settings: PlaybookSettings,
  report: PhaseReporter,
  gate: ApprovalGate,
  pause: PauseGate,
): FindingContext {
  const { finding, playbook } = routed;
  return {
    finding,
    playbook,
    resourceId: finding.resource.resourceId,
    settings,
    request: playbookRequest(routed, settings),
    startedAt: new Date().toISOString(),
    approvalTimeoutMs: settings.approvalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS,
    draft: { changes: [], compensations: [] },
    report,
    gate,
    pause,
    // Containment gets its own retry policy: many attempts within a deadline, heartbeats to notice a lost worker.
    aws: activitiesWith(
      shapeOf(playbook, settings.shape)?.kind === 'containment'
        ? containmentActivityOptions(settings)
        : awsActivityOptions(settings),
    ),
    notify: activitiesWith(NOTIFY_ACTIVITY_OPTIONS),
    source: activitiesWith(WRITE_BACK_ACTIVITY_OPTIONS),
  };
}

/** The execution this finding is handled in: audit records and tickets name it. */
export function identity(): { workflowId: string; runId: string } {
  const info = workflowInfo();
  return { workflowId: info.workflowId, runId: info.runId };
}

/** A phase's result: either the finding is done (with its outcome) or the next phase gets `T`. */
export type PhaseResult<T> = { readonly done: Outcome } | T;

/** The draft as an outcome records it: without the step in flight, which is bookkeeping for a cancellation. */
export function recorded(draft: Draft): Omit<Draft, 'applying'> {
  const { applying, ...rest } = draft;
  void applying;
  return rest;
}
