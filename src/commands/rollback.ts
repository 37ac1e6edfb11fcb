/**
 * `remediator rollback <workflowId> [--run <runId>] --reason …`: undoes a completed remediation from its recorded
 * prior state, as its own durable workflow (`rollback/<workflowId>/<runId>`, one per run), and prints what happened.
 */
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { settingsFor, resolveExecutionSettings } from '../domain/policy';
import type { RemediationPolicy } from '../domain/policy';
import { PLAYBOOKS } from '../domain/playbooks';
import type { Outcome, RemediationResult } from '../domain/remediation';
import type { RollbackInput, RollbackResult } from '../domain/rollback';
import { findingSearchAttributes } from '../domain/search-attributes';
import { statusQuery } from '../workflows/definitions';
import { ROLLBACK_WORKFLOW_TYPE, rollbackWorkflowId } from '../workflows/rollback-definitions';
import { durationFromNow } from './controls';
import { DecisionRefusedError } from './decide';

/** What the operator asked. */
export interface RollbackRequest {
  readonly workflowId: string;
  readonly runId?: string;
  readonly reason: string;
  readonly by: string;
  readonly force: boolean;
  /** How long the resource stays exempt afterwards, as a duration (`24h`). */
  readonly exemptFor: string;
}

/** The remediated outcomes of one run: from its result when it completed, from its query while it cools down. */
async function outcomesOf(
  client: Client,
  workflowId: string,
  runId?: string,
): Promise<{ runId: string; outcomes: readonly Outcome[] }> {
  const handle = client.workflow.getHandle(workflowId, runId);
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new DecisionRefusedError(`no remediation ${workflowId}${runId ? ` run ${runId}` : ''}`, {
        cause: err,
      });
    }
    throw err;
  }
  const run = description.runId;
  if (description.status.name === 'RUNNING') {
    return { runId: run, outcomes: (await handle.query(statusQuery)).outcomes };
  }
  if (description.status.name === 'CONTINUED_AS_NEW') {
    // Which of the carried outcomes came from this run is not recorded: the operator names the current run instead.
    throw new DecisionRefusedError(
      `run ${run} of ${workflowId} continued as new: its last outcomes moved to the execution's current run; ` +
        `roll back from that run (omit --run), which undoes its newest remediated outcome`,
    );
  }
  if (description.status.name !== 'COMPLETED') {
    throw new DecisionRefusedError(
      `run ${run} of ${workflowId} ended ${description.status.name}: nothing recorded to roll back`,
    );
  }
  const result = (await client.workflow.getHandle(workflowId, run).result()) as RemediationResult;
  return { runId: run, outcomes: result.outcomes };
}

/** Starts the rollback and waits for its result. */
export async function rollback(
  client: Client,
  taskQueue: string,
  policy: RemediationPolicy,
  request: RollbackRequest,
): Promise<RollbackResult> {
  const { runId, outcomes } = await outcomesOf(client, request.workflowId, request.runId);
  const outcome = [...outcomes]
    .reverse()
    .find((o) => o.status === 'REMEDIATED' && o.changes.some((c) => c.changed));
  if (!outcome) {
    const seen = outcomes.map((o) => o.status).join(', ') || 'no outcome yet';
    throw new DecisionRefusedError(
      `run ${runId} of ${request.workflowId} changed nothing to roll back (${seen})`,
    );
  }
  const settings = settingsFor(
    resolveExecutionSettings(policy, Object.keys(PLAYBOOKS)),
    outcome.playbook,
    outcome.finding.control,
    outcome.finding.details.managedControl,
  );
  if (!settings) throw new DecisionRefusedError(`the policy has no playbook '${outcome.playbook}'`);
  const exemptForMs = durationFromNow(request.exemptFor);
  const input: RollbackInput = {
    target: { workflowId: request.workflowId, runId },
    outcome,
    reason: request.reason,
    by: request.by,
    force: request.force,
    exemptForMs,
    activityTimeoutMs: settings.activityTimeoutMs,
    retry: settings.retry,
    propagationWaitMs: settings.propagationWaitMs,
  };
  const { resource } = outcome.finding;
  const id = rollbackWorkflowId(request.workflowId, runId);
  try {
    const handle = await client.workflow.start(ROLLBACK_WORKFLOW_TYPE, {
      workflowId: id,
      taskQueue,
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: findingSearchAttributes(outcome.finding, outcome.playbook, 'ROLLING_BACK'),
      staticSummary: `rollback · ${outcome.playbook} · ${resource.resourceId}`,
      staticDetails: `Rollback of run \`${runId}\` of \`${request.workflowId}\`, asked by ${request.by}: ${request.reason}`,
    });
    return (await handle.result()) as RollbackResult;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new DecisionRefusedError(`run ${runId} of ${request.workflowId} already has a rollback: ${id}`, {
        cause: err,
      });
    }
    throw err;
  }
}

/** The result as an operator reads it. */
export function formatRollback(result: RollbackResult): string {
  return [
    `${result.status}: ${result.reason}`,
    `  remediation: ${result.target.workflowId} (run ${result.target.runId})`,
    `  asked by:    ${result.by}: ${result.requestedReason}`,
    ...result.restored.map((r) => `  restored:    ${r.step}: ${r.detail}`),
    ...result.drift.map((d) => `  drift:       ${d}`),
    ...(result.exemptUntil ? [`  exempt until ${result.exemptUntil} (remediator exempt can change it)`] : []),
  ].join('\n');
}
