/**
 * The per-resource remediation workflow (docs/architecture.md, One execution per resource): one execution owns one
 * resource. Findings arrive by signal(-with-start); new work is handled one finding at a time, repeats are recorded,
 * a resource broken again after its fix is fixed again, and after the last outcome the execution stays open for a
 * cool-down that absorbs repeats. It continues as new when Temporal suggests it or after `MAX_FINDINGS_PER_RUN`
 * findings, carrying a compact summary; a cancellation ends the finding in hand as `CANCELLED`, then the execution.
 */
import {
  allHandlersFinished,
  CancellationScope,
  CancelledFailure,
  condition,
  continueAsNew,
  log,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { RoutedFinding } from '../domain/finding';
import { FindingIntake } from '../domain/finding-intake';
import { settingsFor } from '../domain/policy';
import type { ExecutionSettings } from '../domain/policy';
import type { Opening } from '../activities/composite';
import type { SettingsRequest } from '../activities/worker-settings';
import { runStatus } from '../domain/remediation';
import type { Outcome, RemediationResult, RemediationSnapshot } from '../domain/remediation';
import { PlaybookKey, RemediationStatusKey, SeverityKey } from '../domain/search-attributes';
import { cancellationNoteSignal, findingSignal, statusQuery } from './definitions';
import type { CancellationNote, CarriedState, RemediationInput } from './definitions';
import { ApprovalGate } from './approval-gate';
import { approvalChecker } from './decision-check';
import { handleFinding } from './finding/handle-finding';
import { PauseGate } from './pause-gate';
import { OPEN_ACTIVITY_OPTIONS, SETTINGS_ACTIVITY_OPTIONS, activitiesWith } from './activity-proxies';
import { emitMetrics, metric } from './metrics';
import { escalationReason, sourceLabel } from '../metrics/labels';
import { outcomeMetrics } from './finding/outcome-metrics';
import { pageSecurity } from './security-page';

/** The input with `carried` dropped unless this run really continues a previous one, and what was ignored. */
function honouredInput(input: RemediationInput): { input: RemediationInput; ignored: string[] } {
  // Ingest sends neither: whoever put settings or a previous run's state in an input did not come through it.
  const ignored = 'settings' in (input as object) ? ['settings'] : [];
  if (!input.carried || workflowInfo().continuedFromExecutionRunId) return { input, ignored };
  const { carried, ...request } = input;
  void carried;
  return { input: request, ignored: [...ignored, "a previous run's state"] };
}

/**
 * Pages on-call about an input that carried what only the worker decides (docs/architecture.md, Trust model): it was
 * ignored, but someone with access to the namespace tried.
 */
async function reportIgnoredInput(input: RemediationInput, ignored: readonly string[]): Promise<void> {
  const reason = `the workflow input carried ${ignored.join(' and ')}: ignored, the worker's policy and this run's own record apply`;
  log.warn(reason);
  await pageSecurity({
    resource: input.resource,
    status: 'NO_ACTION',
    reason,
    summary: 'Security: input ignored',
  });
}

/** What the run asks its worker about the policy: the version its requester saw, if any. */
function settingsRequest(input: RemediationInput): SettingsRequest {
  return input.policyVersion !== undefined ? { requestedVersion: input.policyVersion } : {};
}

/** Asks the worker for its settings (a run that must wait before it has a finding to open with). */
async function workerSettingsFor(input: RemediationInput): Promise<ExecutionSettings> {
  const { settings } = await activitiesWith(SETTINGS_ACTIVITY_OPTIONS).workerSettings.executeWithOptions(
    { ...SETTINGS_ACTIVITY_OPTIONS, summary: 'Worker policy' },
    [settingsRequest(input)],
  );
  return settings;
}

/**
 * Opens the run with its first finding: the worker's settings and that finding's preparation in one activity. It
 * runs to its end even when a cancellation arrives meanwhile (it only reads), so the finding it prepared is then
 * ended as `CANCELLED` like any other.
 */
async function openRun(input: RemediationInput, routed: RoutedFinding): Promise<Opening> {
  const opening = await CancellationScope.nonCancellable(() =>
    activitiesWith(OPEN_ACTIVITY_OPTIONS).openRemediation.executeWithOptions(
      { ...OPEN_ACTIVITY_OPTIONS, summary: `Worker policy; analyse ${routed.finding.resource.resourceId}` },
      [{ settings: settingsRequest(input), routed }],
    ),
  );
  const failed = opening.preparationFailed;
  if (failed?.retryable) {
    log.warn("The first preparation failed; preparing again with the playbook's timeout and retries", {
      error: failed.message,
    });
  }
  return opening;
}

/**
 * Phases written to `RemediationStatus` while the execution works: the ones an operator filters for and must act on.
 * The others show in the query, the UI's current details and the history; each write is a billable action.
 */
const LISTED_PHASES: ReadonlySet<string> = new Set(['ANALYZING', 'AWAITING_APPROVAL', 'PAUSED']);

/** Findings one run takes before it continues as new, whatever the server suggests: bounds its history. */
export const MAX_FINDINGS_PER_RUN = 1_000;

/** Repeats are logged the first time and then once per this many, not one line each. */
const REPEAT_LOG_EVERY = 100;

/** Longest `by` or `reason` a cancellation note keeps. */
const NOTE_MAX_CHARS = 256;

/** Outcomes carried to the next run: the newest ones; older ones stay in the earlier runs' results. */
export const MAX_CARRIED_OUTCOMES = 20;

/** Remediates one resource: every finding routed to it, one at a time, until a quiet cool-down ends the run. */
export async function remediationWorkflow(request: RemediationInput): Promise<RemediationResult> {
  // What a previous run carried is only believed from a real continue-as-new: a client cannot start a run that
  // claims to continue another, but it can put anything in an input (docs/architecture.md, Trust model).
  const { input, ignored } = honouredInput(request);
  const intake = new FindingIntake(input.carried?.intake);
  const outcomes: Outcome[] = [...(input.carried?.outcomes ?? [])];
  const continuedAsNew = input.carried?.continuedAsNew ?? 0;
  let received = 0;
  let current: RoutedFinding | undefined;
  let phase: RemediationSnapshot['phase'] = 'IDLE';
  let cancellationNote: CancellationNote | undefined;
  const gate = new ApprovalGate(
    approvalChecker(
      () => workflowInfo().workflowId,
      () => input.resource,
    ),
  );
  const pause = new PauseGate();

  setHandler(cancellationNoteSignal, (note) => {
    // A note only names who asks; free text from a client, so bounded and never acted on.
    const text = (value: unknown) => (typeof value === 'string' ? value.trim().slice(0, NOTE_MAX_CHARS) : '');
    const by = text(note?.by);
    const reason = text(note?.reason);
    if (!by || !reason) {
      log.warn('Cancellation note ignored: it needs who and why');
      return;
    }
    cancellationNote = { by, reason };
    log.info('Cancellation note recorded', { by });
  });

  setHandler(findingSignal, (routed) => {
    received += 1;
    const { disposition, droppedQueued } = intake.receive(routed);
    const { control, eventId } = routed.finding;
    if (disposition === 'repeat') {
      emitMetrics([metric('findingsAbsorbed', { source: sourceLabel(routed.finding.source) })]);
      // A storm of repeats must stay cheap to take: each log line crosses out of the workflow sandbox.
      if (intake.repeats === 1 || intake.repeats % REPEAT_LOG_EVERY === 0) {
        log.info('Repeat finding recorded, not re-applied', { control, eventId, repeats: intake.repeats });
      }
    } else if (disposition === 'compliant') {
      log.info('Compliance signal recorded', { control, state: routed.finding.state, droppedQueued });
    } else {
      log.info(
        disposition === 'regression' ? 'Resource broken again: queued for a new fix' : 'Finding queued',
        {
          control,
          eventId,
          queued: intake.queued,
        },
      );
    }
  });

  setHandler(statusQuery, (): RemediationSnapshot => ({
    resource: input.resource,
    phase,
    ...(current ? { current: { finding: current.finding, playbook: current.playbook } } : {}),
    ...(gate.waiting ? { awaitingApproval: gate.waiting } : {}),
    queued: intake.queued,
    repeats: intake.repeats,
    regressions: intake.regressions,
    compliantSignals: intake.compliantSignals,
    continuedAsNew,
    outcomes,
  }));

  /** Upserts only what differs from the execution's search attributes: each upsert is a billable action. */
  const upsert = (pairs: SearchAttributeUpdatePair[]): void => {
    const changed = pairs.filter((p) => workflowInfo().typedSearchAttributes.get(p.key) !== p.value);
    if (changed.length > 0) upsertSearchAttributes(changed);
  };

  const report = (next: RemediationSnapshot['phase'], details: string, outcome = false): void => {
    phase = next;
    if (outcome || LISTED_PHASES.has(next)) upsert([{ key: RemediationStatusKey, value: next }]);
    setCurrentDetails(`**${next}** — ${details}`);
  };

  // The worker's policy, never the input's (docs/architecture.md, Trust model): asked once per run, after the
  // handlers are in place so no signal of the first task is missed; with the first finding's preparation when the
  // run has a finding to open with (one activity instead of two), alone when it must wait first.
  let settings: ExecutionSettings | undefined;
  const settled = async (got: ExecutionSettings): Promise<ExecutionSettings> => {
    settings = got;
    if (ignored.length > 0) await reportIgnoredInput(input, ignored);
    return got;
  };
  let cooldownEndsAt = input.carried ? Date.parse(input.carried.cooldownEndsAt) : undefined;

  const continueDue = (): boolean =>
    workflowInfo().continueAsNewSuggested || received >= MAX_FINDINGS_PER_RUN;

  for (;;) {
    if (intake.queued === 0) {
      const { cooldownMs } = settings ?? (await settled(await workerSettingsFor(input)));
      cooldownEndsAt ??= Date.now() + cooldownMs;
      const quiet = cooldownEndsAt - Date.now();
      const woken = quiet > 0 && (await condition(() => intake.queued > 0 || continueDue(), quiet));
      if (!woken) break;
    }
    if (continueDue()) {
      await condition(allHandlersFinished);
      const carried: CarriedState = {
        intake: intake.summary(),
        outcomes: outcomes.slice(-MAX_CARRIED_OUTCOMES),
        cooldownEndsAt: new Date(cooldownEndsAt ?? Date.now()).toISOString(),
        continuedAsNew: continuedAsNew + 1,
      };
      log.info('Continuing as new', { received, queued: intake.queued, repeats: intake.repeats });
      return continueAsNew<typeof remediationWorkflow>({ ...input, carried });
    }
    const routed = intake.next();
    if (!routed) continue;
    current = routed;
    upsert([
      { key: RemediationStatusKey, value: 'ANALYZING' },
      { key: PlaybookKey, value: routed.playbook },
      { key: SeverityKey, value: routed.finding.severity },
    ]);
    phase = 'ANALYZING';
    let opened: Opening | undefined;
    let runSettings = settings;
    if (!runSettings) {
      opened = await openRun(input, routed);
      runSettings = await settled(opened.worker.settings);
    }
    const playbookSettings = settingsFor(
      runSettings,
      routed.playbook,
      routed.finding.control,
      routed.finding.details.managedControl,
    );
    const outcome = playbookSettings
      ? await handleFinding(routed, playbookSettings, report, gate, pause, () => cancellationNote, opened)
      : unknownPlaybook(routed);
    outcomes.push(outcome);
    current = undefined;
    report(outcome.status, outcome.reason, true);
    if (outcome.status === 'REMEDIATED' && outcome.verification) {
      intake.fixed(routed.finding.control, outcome.verification.at);
    }
    if (outcome.status === 'CANCELLED') {
      // Recorded, notified and audited: now the execution ends as Canceled, as it was asked to.
      throw new CancelledFailure(outcome.reason);
    }
    cooldownEndsAt = Date.now() + runSettings.cooldownMs;
    if (intake.queued === 0) {
      phase = 'COOLDOWN';
      setCurrentDetails(
        `**${outcome.status}** — ${outcome.reason}\n\nCooling down for ${runSettings.cooldownMs} ms.`,
      );
    }
  }

  return { status: runStatus(outcomes), outcomes };

  function unknownPlaybook(routed: RoutedFinding): Outcome {
    // The worker's policy has no settings for a playbook the request names: nothing is changed.
    const at = new Date().toISOString();
    const reason = `the worker's policy has no settings for playbook '${routed.playbook}'`;
    log.error('Finding cannot be handled by this execution', { playbook: routed.playbook });
    const outcome: Outcome = {
      ...routed,
      status: 'ESCALATED',
      reason,
      changes: [],
      compensations: [],
      startedAt: at,
      finishedAt: at,
    };
    // Counted as every outcome is, under `unknown`: the name is the request's, not one the worker knows.
    emitMetrics([
      ...outcomeMetrics({ ...outcome, playbook: 'unknown' }, { trusted: false }),
      metric('escalations', { playbook: 'unknown', reason: escalationReason('UnknownPlaybook') }),
    ]);
    return outcome;
  }
}
