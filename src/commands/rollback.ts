/**
 * `remediator rollback <workflowId> [--run <runId>] --reason …`: undoes a completed remediation from its recorded
 * prior state, as its own durable workflow (`rollback/<workflowId>/<runId>`, one per run), and prints what happened.
 * The request names the run and says who and why; the worker reads what to restore from the remediation's own
 * history and the settings from its own policy (docs/architecture.md, Trust model). The outcome read here only
 * refuses early with a clear message and labels the rollback in visibility.
 */
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { readRecordedOutcome } from '../activities/recorded-outcome';
import { randomUUID } from 'node:crypto';
import { definitionOf } from '../playbooks/catalogue';
import { MAX_ROLLBACK_EXEMPTION_MS, rollbackClaim } from '../domain/rollback';
import type { RollbackInput, RollbackResult } from '../domain/rollback';
import { findingSearchAttributes } from '../domain/search-attributes';
import { ROLLBACK_WORKFLOW_TYPE, rollbackWorkflowId } from '../workflows/rollback-definitions';
import { durationFromNow } from './controls';
import { DecisionRefusedError } from './decide';
import { signatureFor } from './signing';

/** What the operator asked. */
export interface RollbackRequest {
  readonly workflowId: string;
  readonly runId?: string;
  readonly reason: string;
  readonly by: string;
  readonly force: boolean;
  /** How long the resource stays exempt afterwards, as a duration (`24h`). */
  readonly exemptFor: string;
  /** Send the request without an AWS signature (refused unless the policy allows unsigned decisions). */
  readonly unsigned?: boolean;
}

/** Starts the rollback and waits for its result. */
export async function rollback(
  client: Client,
  taskQueue: string,
  request: RollbackRequest,
): Promise<RollbackResult> {
  const exemptForMs = durationFromNow(request.exemptFor);
  if (exemptForMs > MAX_ROLLBACK_EXEMPTION_MS) {
    // The worker would cut it to 30 days anyway: say so instead of granting less than asked.
    throw new DecisionRefusedError(`--exempt-for '${request.exemptFor}' is longer than 30 days`);
  }
  // The same read the worker makes, only to refuse early and to label the execution; the worker reads it again.
  const read = await readRecordedOutcome(client, {
    workflowId: request.workflowId,
    ...(request.runId ? { runId: request.runId } : {}),
    taskQueue,
  });
  if (!read.found) throw new DecisionRefusedError(read.reason);
  const { outcome, runId } = read;
  const unsignedInput: RollbackInput = {
    target: { workflowId: request.workflowId, runId },
    reason: request.reason,
    by: request.by,
    force: request.force,
    exemptForMs,
    requestId: randomUUID(),
  };
  // Signed with the operator's AWS identity, bound to this run, reason and flags (docs/architecture.md, Trust model).
  const signature = await signatureFor(
    rollbackClaim(unsignedInput, rollbackWorkflowId(request.workflowId, runId)),
    request.unsigned === true,
  );
  const input: RollbackInput = { ...unsignedInput, ...(signature ? { signature } : {}) };
  if (definitionOf(outcome.playbook)?.kind === 'containment') {
    process.stderr.write(
      `Rolling back a containment needs a second approver: someone else runs\n` +
        `  remediator approve '${rollbackWorkflowId(request.workflowId, runId)}' --reason '…'\n`,
    );
  }
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
    ...(result.approvedBy && result.approvedBy.length > 1
      ? [`  approved by: ${result.approvedBy.slice(1).join(', ')}`]
      : []),
    ...result.restored.map((r) => `  restored:    ${r.step}: ${r.detail}`),
    ...result.drift.map((d) => `  drift:       ${d}`),
    ...(result.exemptUntil ? [`  exempt until ${result.exemptUntil} (remediator exempt can change it)`] : []),
  ].join('\n');
}
