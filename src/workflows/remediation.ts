/**
 * The per-resource remediation workflow (DESIGN §3): one execution owns one resource. Findings arrive by
 * signal(-with-start); new content is handled one finding at a time, repeats are recorded, and after the last outcome
 * the execution stays open for a cool-down that absorbs repeats.
 */
import {
  condition,
  log,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { findingFingerprint } from '../domain/finding';
import type { RoutedFinding } from '../domain/finding';
import { settingsFor } from '../domain/policy';
import { runStatus } from '../domain/remediation';
import type { Outcome, RemediationResult, RemediationSnapshot } from '../domain/remediation';
import { PlaybookKey, RemediationStatusKey, SeverityKey } from '../domain/search-attributes';
import { findingSignal, statusQuery } from './definitions';
import type { RemediationInput } from './definitions';
import { ApprovalGate } from './approval-gate';
import { handleFinding } from './handle-finding';
import { PauseGate } from './pause-gate';

/**
 * Phases the lean type writes to `RemediationStatus` while it works: the ones an operator filters for and must act
 * on. The others show in the query, the UI's current details and the history; each write is a billable action.
 */
const LISTED_PHASES: ReadonlySet<string> = new Set(['ANALYZING', 'AWAITING_APPROVAL', 'PAUSED']);

/** Remediates one resource: every finding routed to it, one at a time, until a quiet cool-down ends the run. */
export async function remediationWorkflow(input: RemediationInput): Promise<RemediationResult> {
  return remediate(input, false);
}

/**
 * The same remediation with fewer billable actions (what ingest starts since it exists; `remediationWorkflow` stays
 * registered for executions started before): no patch markers, one activity for analysis + admission + prior state
 * and one for verification + write-back + notification + audit, and `RemediationStatus` written for listed phases
 * and outcomes only, never twice with the same value.
 */
export async function remediationWorkflowV2(input: RemediationInput): Promise<RemediationResult> {
  return remediate(input, true);
}

async function remediate(input: RemediationInput, lean: boolean): Promise<RemediationResult> {
  const queue: RoutedFinding[] = [];
  const known = new Set<string>();
  const outcomes: Outcome[] = [];
  let current: RoutedFinding | undefined;
  let phase: RemediationSnapshot['phase'] = 'IDLE';
  let repeats = 0;
  let compliantSignals = 0;
  const gate = new ApprovalGate();
  const pause = new PauseGate();

  setHandler(findingSignal, (routed) => {
    const { finding } = routed;
    if (finding.state !== 'FAILED') {
      // The detector says the resource is fine now: a queued finding for the same control has nothing left to do.
      compliantSignals += 1;
      const before = queue.length;
      // Only a strictly newer evaluation supersedes a queued one: EventBridge does not promise order, and a stale
      // COMPLIANT must not cancel a fresh NON_COMPLIANT. (A kept finding is re-analysed anyway, so keeping is safe.)
      for (let i = queue.length - 1; i >= 0; i -= 1) {
        const queued = queue[i]?.finding;
        if (
          queued?.control === finding.control &&
          Date.parse(finding.observedAt) > Date.parse(queued.observedAt)
        ) {
          queue.splice(i, 1);
        }
      }
      log.info('Compliance signal recorded', {
        control: finding.control,
        state: finding.state,
        droppedQueued: before - queue.length,
      });
      return;
    }
    const fingerprint = findingFingerprint(finding);
    if (known.has(fingerprint)) {
      repeats += 1;
      log.info('Repeat finding recorded, not re-applied', {
        control: finding.control,
        eventId: finding.eventId,
        repeats,
      });
      return;
    }
    known.add(fingerprint);
    queue.push(routed);
    log.info('Finding queued', { control: finding.control, eventId: finding.eventId, queued: queue.length });
  });

  setHandler(statusQuery, (): RemediationSnapshot => ({
    resource: input.resource,
    phase,
    ...(current ? { current: { finding: current.finding, playbook: current.playbook } } : {}),
    ...(gate.waiting ? { awaitingApproval: gate.waiting } : {}),
    queued: queue.length,
    repeats,
    compliantSignals,
    outcomes,
  }));

  /** Upserts what differs from the execution's search attributes (lean), or everything (the first type). */
  const upsert = (pairs: SearchAttributeUpdatePair[]): void => {
    const changed = lean
      ? pairs.filter((p) => workflowInfo().typedSearchAttributes.get(p.key) !== p.value)
      : pairs;
    if (changed.length > 0) upsertSearchAttributes(changed);
  };

  const report = (next: RemediationSnapshot['phase'], details: string, outcome = false): void => {
    phase = next;
    if (!lean || outcome || LISTED_PHASES.has(next)) upsert([{ key: RemediationStatusKey, value: next }]);
    setCurrentDetails(`**${next}** — ${details}`);
  };

  for (;;) {
    const hasWork = queue.length > 0 || (await condition(() => queue.length > 0, input.settings.cooldownMs));
    if (!hasWork) break;
    const routed = queue.shift();
    if (!routed) continue;
    current = routed;
    upsert([
      // The lean type shows a run that works again (a later finding) as ANALYZING; the first type did not.
      ...(lean ? [{ key: RemediationStatusKey, value: 'ANALYZING' }] : []),
      { key: PlaybookKey, value: routed.playbook },
      { key: SeverityKey, value: routed.finding.severity },
    ]);
    if (lean) phase = 'ANALYZING';
    const settings = settingsFor(
      input.settings,
      routed.playbook,
      routed.finding.control,
      routed.finding.details.managedControl,
    );
    const outcome = settings
      ? await handleFinding(routed, settings, report, gate, pause, lean)
      : unknownPlaybook(routed);
    outcomes.push(outcome);
    current = undefined;
    report(outcome.status, outcome.reason, true);
    if (queue.length === 0) {
      phase = 'COOLDOWN';
      setCurrentDetails(
        `**${outcome.status}** — ${outcome.reason}\n\nCooling down for ${input.settings.cooldownMs} ms.`,
      );
    }
  }

  return { status: runStatus(outcomes), outcomes };

  function unknownPlaybook(routed: RoutedFinding): Outcome {
    // A newer ingest may route to a playbook this execution's policy snapshot predates; a new run will pick it up.
    const at = new Date().toISOString();
    const reason = `this execution's policy has no settings for playbook '${routed.playbook}'`;
    log.error('Finding cannot be handled by this execution', { playbook: routed.playbook });
    return {
      ...routed,
      status: 'ESCALATED',
      reason,
      changes: [],
      compensations: [],
      startedAt: at,
      finishedAt: at,
    };
  }
}
