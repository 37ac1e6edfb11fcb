/**
 * Operator rollback as its own durable workflow: refuse when the resource changed since the remediation (unless
 * forced), restore every changed step from the recorded prior state in reverse, wait, read the state back and compare
 * it with the prior state, grant a time-boxed exemption so the resource is not fixed again at once, and record who
 * and why (audit, notification).
 */
import { log, setCurrentDetails, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import type { AuditRecord } from '../domain/audit-record';
import { changedStepsNewestFirst } from '../domain/remediation';
import type { StepResult } from '../domain/remediation';
import { resourceKey } from '../domain/controls';
import { stateDifferences } from '../domain/rollback';
import type { RollbackInput, RollbackResult } from '../domain/rollback';
import { RemediationStatusKey } from '../domain/search-attributes';
import { activitiesWith, NOTIFY_ACTIVITY_OPTIONS } from './activity-proxies';
import { failureMessage } from './finding/failures';

/** Undoes one completed remediation. Never throws for AWS failures: they end in `ESCALATED`. */
export async function rollbackWorkflow(input: RollbackInput): Promise<RollbackResult> {
  const { outcome } = input;
  const request = { finding: outcome.finding, playbook: outcome.playbook };
  const resourceId = outcome.finding.resource.resourceId;
  const aws = activitiesWith({
    startToCloseTimeout: input.activityTimeoutMs,
    retry: {
      initialInterval: input.retry.initialIntervalMs,
      backoffCoefficient: input.retry.backoffCoefficient,
      maximumAttempts: input.retry.maximumAttempts,
      maximumInterval: input.retry.maximumIntervalMs,
    },
  });
  const notify = activitiesWith(NOTIFY_ACTIVITY_OPTIONS);
  const restored: StepResult[] = [];
  let drift: string[] = [];
  let unrestored: string[] = [];
  let exemptUntil: string | undefined;

  const phase = (status: string, details: string): void => {
    upsertSearchAttributes([{ key: RemediationStatusKey, value: status }]);
    setCurrentDetails(`**${status}** — ${details}`);
  };

  const finish = async (status: RollbackResult['status'], reason: string): Promise<RollbackResult> => {
    phase(status, reason);
    const result: RollbackResult = {
      status,
      reason,
      target: input.target,
      by: input.by,
      requestedReason: input.reason,
      drift,
      restored,
      unrestored,
      ...(exemptUntil ? { exemptUntil } : {}),
      at: new Date().toISOString(),
    };
    const record: AuditRecord = {
      kind: 'rollback',
      workflowId: input.target.workflowId,
      runId: input.target.runId,
      resource: outcome.finding.resource,
      playbook: outcome.playbook,
      status: status === 'REFUSED' ? 'REJECTED' : status,
      reason: `rollback ${status.toLowerCase().replace('_', ' ')} (asked by ${input.by}: ${input.reason}): ${reason}`,
      rollback: result,
      at: result.at,
    };
    try {
      await Promise.all([
        status === 'ESCALATED'
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
      log.error('Could not deliver the rollback record', { resourceId, error: failureMessage(err) });
    }
    return result;
  };

  const prior = outcome.prior;
  const steps = changedStepsNewestFirst(outcome.changes);
  if (!prior || steps.length === 0) {
    return finish('REFUSED', 'the remediation recorded no change to undo');
  }

  // 1. Drift: the resource as it is now against the state the fix left.
  phase('ROLLING_BACK', `Checking ${resourceId} for changes since the remediation`);
  try {
    const now = await aws.capturePriorState.executeWithOptions(
      { startToCloseTimeout: input.activityTimeoutMs, summary: `Read ${resourceId} now` },
      [request],
    );
    const after = outcome.verification?.stateAfter;
    drift = after ? stateDifferences(after, now) : [];
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
        await aws.compensateStep.executeWithOptions(
          { startToCloseTimeout: input.activityTimeoutMs, summary: `Restore ${step} on ${resourceId}` },
          [{ ...request, step, prior }],
        ),
      );
    } catch (err) {
      return finish('ESCALATED', `restoring ${step} failed: ${failureMessage(err)}`);
    }
  }

  // 3. Read the restored state back after it settles.
  if (input.propagationWaitMs > 0)
    await sleep(input.propagationWaitMs, { summary: 'Wait before reading back' });
  try {
    const back = await aws.capturePriorState.executeWithOptions(
      { startToCloseTimeout: input.activityTimeoutMs, summary: `Read ${resourceId} back` },
      [request],
    );
    unrestored = stateDifferences(prior, back);
  } catch (err) {
    return finish('ESCALATED', `could not read the restored state: ${failureMessage(err)}`);
  }
  if (unrestored.length > 0) {
    return finish('ESCALATED', `restored, but not to the recorded prior state: ${unrestored.join('; ')}`);
  }

  // 4. Keep the remediator off the resource for a while: the rollback was deliberate.
  try {
    const until = new Date(Date.now() + input.exemptForMs).toISOString();
    const granted = await aws.grantExemption.executeWithOptions(
      { startToCloseTimeout: '30s', summary: `Exempt ${resourceId} until ${until}` },
      [
        {
          resource: resourceKey(outcome.finding.resource),
          until,
          by: input.by,
          reason: `rolled back: ${input.reason}`,
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
