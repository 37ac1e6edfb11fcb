/**
 * Operator rollback as its own durable workflow: read the remediation's recorded outcome from Temporal and the
 * playbook's settings from the worker's policy, refuse when the resource changed since the remediation (unless
 * forced), restore every changed step from the recorded prior state in reverse, wait, read the state back and compare
 * it with the prior state, grant a time-boxed exemption so the resource is not fixed again at once, and record who
 * and why (audit, notification). The input only names the run and says who and why (docs/architecture.md, Trust
 * model): what is restored comes from the remediation's own history, never from the request.
 */
import {
  log,
  patched,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/workflow';
import type { AuditRecord } from '../domain/audit-record';
import type { ResourceRef } from '../domain/finding';
import { settingsFor } from '../domain/policy';
import type { PlaybookSettings } from '../domain/policy';
import { changedStepsNewestFirst } from '../domain/remediation';
import type { Outcome, StepResult } from '../domain/remediation';
import { resourceKey } from '../domain/controls';
import { rollbackClaim, rollbackRequest, stateDifferences } from '../domain/rollback';
import type { RecordedOutcome, RollbackInput, RollbackResult } from '../domain/rollback';
import { findingSearchAttributes, RemediationStatusKey } from '../domain/search-attributes';
import type { SearchAttributePair } from '@temporalio/common';
import { activitiesWith, awsActivityOptions, NOTIFY_ACTIVITY_OPTIONS } from './activity-proxies';
import { failureMessage } from './finding/failures';
import { ApprovalGate } from './approval-gate';
import { rollbackApprovalsQuery } from './rollback-definitions';
import { approvalChecker, checkDecision } from './decision-check';
import { shapeOf } from '../domain/playbooks';
import { DEFAULT_APPROVAL_TIMEOUT_MS } from '../domain/policy';
import { emitMetrics, metric } from './metrics';
import type { ApprovalRequest } from '../domain/approval';

/**
 * Waits for a second approver of a containment rollback (`remediator approve rollback/…`): someone other than the
 * requester, verified like any decision. No decision within the playbook's approval timeout refuses the rollback.
 */
async function secondApproval(
  gate: ApprovalGate,
  playbook: string,
  settings: PlaybookSettings,
  phase: (status: string, details: string) => void,
): Promise<{ by: string } | { refused: string }> {
  const timeoutMs = settings.approvalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS;
  const requestedAt = new Date();
  const request: ApprovalRequest = {
    requestId: 'rollback#1',
    playbook,
    control: 'rollback',
    why: `rolling back a containment needs a second approver besides the requester`,
    plan: [],
    requestedAt: requestedAt.toISOString(),
    expiresAt: new Date(requestedAt.getTime() + timeoutMs).toISOString(),
  };
  gate.open(request);
  phase('AWAITING_APPROVAL', `Waiting for a second approver (${request.requestId}): ${request.why}`);
  const decision = await gate.decide(request, timeoutMs);
  if (!decision) return { refused: `no second approver within ${Math.round(timeoutMs / 1000)} s` };
  if (decision.decision === 'reject') return { refused: `rejected by ${decision.by}: ${decision.reason}` };
  return { by: decision.by };
}

/**
 * Reading the record and the worker's settings: fixed and conservative, because the playbook's own settings are
 * what the second of these reads.
 */
const RECORD_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
};

/**
 * What audit records and notifications name before the record is read (or when there is none): the resource a
 * remediation id spells out, else the id itself. Only a label; nothing acts on it.
 */
function labelOf(workflowId: string): ResourceRef {
  const parts = workflowId.split('/');
  if (parts[0] === 'remediation' && parts.length >= 5 && parts.slice(1).every((p) => p !== '')) {
    return {
      account: parts[1] ?? '',
      region: parts[2] ?? '',
      resourceType: parts[3] ?? '',
      resourceId: parts.slice(4).join('/'),
    };
  }
  return {
    account: 'unknown',
    region: 'unknown',
    resourceType: 'unknown',
    resourceId: workflowId || 'unknown',
  };
}

/** The finding's search attributes that differ from the execution's (the client set them from its own read). */
function attributesToCorrect(outcome: Outcome): SearchAttributePair[] {
  const current = workflowInfo().typedSearchAttributes;
  return findingSearchAttributes(outcome.finding, outcome.playbook, 'ROLLING_BACK').filter(
    (pair) => pair.key.name !== RemediationStatusKey.name && current.get(pair.key) !== pair.value,
  );
}

/**
 * Undoes one completed remediation. Never throws for AWS failures: they end in `ESCALATED`. Of its input only the
 * fields of `RollbackInput` are read, bounded (`rollbackRequest`).
 */
export async function rollbackWorkflow(raw: RollbackInput): Promise<RollbackResult> {
  const input = rollbackRequest(raw);
  const { target } = input;
  // Deciders the worker verified: the requester first, then (for a containment) a second, different approver.
  const approvedBy: string[] = [];
  let restoredAndVerified = false;
  const recorded: { resource?: ResourceRef } = {};
  setHandler(rollbackApprovalsQuery, () => ({
    ...(recorded.resource ? { resource: recorded.resource } : {}),
    approvedBy: [...approvedBy],
    restored: restoredAndVerified,
    exemptForMs: input.exemptForMs,
  }));
  const gate = new ApprovalGate(
    approvalChecker(
      () => workflowInfo().workflowId,
      () => subject.resource,
      () => approvedBy,
    ),
  );
  const worker = activitiesWith(RECORD_ACTIVITY_OPTIONS);
  const notify = activitiesWith(NOTIFY_ACTIVITY_OPTIONS);
  const restored: StepResult[] = [];
  let drift: string[] = [];
  let unrestored: string[] = [];
  let exemptUntil: string | undefined;
  /** No remediation record backs the request: paged, not just notified. */
  let unrecorded = false;
  // What audit records and notifications name: the request's label until the record is read.
  let subject: { resource: ResourceRef; playbook: string } = {
    resource: labelOf(target.workflowId),
    playbook: 'unknown',
  };

  const phase = (status: string, details: string): void => {
    upsertSearchAttributes([{ key: RemediationStatusKey, value: status }]);
    setCurrentDetails(`**${status}** — ${details}`);
  };

  const finish = async (status: RollbackResult['status'], reason: string): Promise<RollbackResult> => {
    phase(status, reason);
    emitMetrics([metric('rollbacks', { playbook: subject.playbook, result: status.toLowerCase() })]);
    const result: RollbackResult = {
      status,
      reason,
      target,
      by: approvedBy[0] ?? input.by,
      requestedReason: input.reason,
      drift,
      restored,
      unrestored,
      ...(exemptUntil ? { exemptUntil } : {}),
      ...(approvedBy.length > 0 ? { approvedBy: [...approvedBy] } : {}),
      at: new Date().toISOString(),
    };
    const record: AuditRecord = {
      kind: 'rollback',
      workflowId: target.workflowId,
      runId: target.runId,
      resource: subject.resource,
      playbook: subject.playbook,
      status: status === 'REFUSED' ? 'REJECTED' : status,
      reason: `rollback ${status.toLowerCase().replace('_', ' ')} (asked by ${input.by}: ${input.reason}): ${reason}`,
      rollback: result,
      at: result.at,
    };
    try {
      await Promise.all([
        status === 'ESCALATED' || unrecorded
          ? notify.notifyOncall.executeWithOptions({ ...NOTIFY_ACTIVITY_OPTIONS, summary: 'Page on-call' }, [
              record,
            ])
          : notify.notifyOutcome.executeWithOptions(
              { ...NOTIFY_ACTIVITY_OPTIONS, summary: `Notify ${status}` },
              [record],
            ),
        notify.recordAudit.executeWithOptions({ ...NOTIFY_ACTIVITY_OPTIONS, summary: 'Audit record' }, [
          record,
        ]),
      ]);
    } catch (err) {
      log.error('Could not deliver the rollback record', {
        workflowId: target.workflowId,
        error: failureMessage(err),
      });
    }
    return result;
  };

  // 0. What to undo, from the remediation's own record, and how, from the worker's own policy: never from the input.
  if (!target.workflowId || !target.runId) {
    return finish('REFUSED', 'the request names no remediation run (workflow id and run id)');
  }
  phase('ROLLING_BACK', `Reading the record of run ${target.runId} of ${target.workflowId}`);
  let record: RecordedOutcome;
  try {
    record = await worker.recordedOutcome.executeWithOptions(
      { summary: `Read the record of ${target.workflowId}` },
      [target],
    );
  } catch (err) {
    return finish('ESCALATED', `could not read the remediation's record: ${failureMessage(err)}`);
  }
  if (!record.found) {
    // The CLI refuses such a request itself: one that gets here was started some other way, so on-call hears of it.
    unrecorded = true;
    return finish('REFUSED', record.reason);
  }
  const { outcome } = record;
  subject = { resource: outcome.finding.resource, playbook: outcome.playbook };
  recorded.resource = outcome.finding.resource;
  const corrections = attributesToCorrect(outcome);
  if (corrections.length > 0) upsertSearchAttributes(corrections);

  let settings: PlaybookSettings | undefined;
  try {
    const own = await worker.workerSettings.executeWithOptions({ summary: "The worker's policy settings" }, [
      {},
    ]);
    settings = settingsFor(
      own.settings,
      outcome.playbook,
      outcome.finding.control,
      outcome.finding.details.managedControl,
    );
  } catch (err) {
    return finish('ESCALATED', `could not read the worker's policy: ${failureMessage(err)}`);
  }
  if (!settings) return finish('REFUSED', `the policy has no playbook '${outcome.playbook}'`);

  // Who asks, as the worker verified it; a containment needs a second, different approver (docs/architecture.md,
  // Trust model: signed operator decisions).
  const asked = await checkDecision({
    // Bound to this rollback's own id: the same signed request started under another id does not match.
    claim: rollbackClaim(input, workflowInfo().workflowId),
    ...(input.signature ? { signature: input.signature } : {}),
    playbook: outcome.playbook,
    unsignedBy: input.by,
    resource: outcome.finding.resource,
  });
  if (!asked.accepted) return finish('REFUSED', `the rollback request is refused: ${asked.reason}`);
  approvedBy.push(asked.decider);
  if (shapeOf(outcome.playbook, settings.shape)?.kind === 'containment') {
    const second = await secondApproval(gate, outcome.playbook, settings, phase);
    if ('refused' in second) return finish('REFUSED', second.refused);
    approvedBy.push(second.by);
  }

  const request = { finding: outcome.finding, playbook: outcome.playbook };
  const resourceId = outcome.finding.resource.resourceId;
  const aws = activitiesWith(awsActivityOptions(settings));
  const prior = outcome.prior;
  const steps = changedStepsNewestFirst(outcome.changes);
  if (!prior || steps.length === 0) {
    return finish('REFUSED', 'the remediation recorded no change to undo');
  }

  // Only the fields the recording has are compared: a field a playbook's state gained since says nothing about drift.
  // Histories from before compared every field and replay as they ran (docs/architecture.md, Versioning workflow
  // changes).
  const recordedKeysOnly = patched('rollback-compares-recorded-keys');

  // 1. Drift: the resource as it is now against the state the fix left.
  phase('ROLLING_BACK', `Checking ${resourceId} for changes since the remediation`);
  try {
    const now = await aws.capturePriorState.executeWithOptions({ summary: `Read ${resourceId} now` }, [
      request,
    ]);
    const after = outcome.verification?.stateAfter;
    drift = after ? stateDifferences(after, now, { recordedKeysOnly }) : [];
  } catch (err) {
    return finish('ESCALATED', `could not read the resource: ${failureMessage(err)}`);
  }
  if (drift.length > 0 && !input.force) {
    return finish(
      'REFUSED',
      `the resource changed since the remediation (${drift.join('; ')}); use --force to roll back anyway`,
    );
  }

  // 2. Restore, newest change first.
  for (const step of steps) {
    phase('ROLLING_BACK', `Restoring ${step} from the recorded prior state`);
    try {
      restored.push(
        await aws.compensateStep.executeWithOptions({ summary: `Restore ${step} on ${resourceId}` }, [
          { ...request, step, prior },
        ]),
      );
    } catch (err) {
      return finish('ESCALATED', `restoring ${step} failed: ${failureMessage(err)}`);
    }
  }

  // 3. Read the restored state back after it settles.
  if (settings.propagationWaitMs > 0)
    await sleep(settings.propagationWaitMs, { summary: 'Wait before reading back' });
  try {
    const back = await aws.capturePriorState.executeWithOptions({ summary: `Read ${resourceId} back` }, [
      request,
    ]);
    unrestored = stateDifferences(prior, back, { recordedKeysOnly });
  } catch (err) {
    return finish('ESCALATED', `could not read the restored state: ${failureMessage(err)}`);
  }
  if (unrestored.length > 0) {
    return finish('ESCALATED', `restored, but not to the recorded prior state: ${unrestored.join('; ')}`);
  }

  restoredAndVerified = true;
  // 4. Keep the remediator off the resource for a while: the rollback was deliberate (unless asked for none).
  if (input.exemptForMs > 0)
    try {
      const until = new Date(Date.now() + input.exemptForMs).toISOString();
      const granted = await aws.grantExemption.executeWithOptions(
        { startToCloseTimeout: '30s', summary: `Exempt ${resourceId} until ${until}` },
        [
          {
            resource: resourceKey(outcome.finding.resource),
            until,
            by: approvedBy.join(' and '),
            reason: `rolled back: ${input.reason}`,
            // The control workflow asks this rollback who approved it, rather than believing the request.
            rollback: workflowInfo().workflowId,
          },
        ],
      );
      exemptUntil = granted.until;
    } catch (err) {
      log.warn('Rolled back, but the exemption could not be recorded', {
        resourceId,
        error: failureMessage(err),
      });
    }
  return finish(
    'ROLLED_BACK',
    `restored ${steps.join(', ')} to the recorded prior state and verified${exemptUntil ? `; exempt until ${exemptUntil}` : ''}`,
  );
}
