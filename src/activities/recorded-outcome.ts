/**
 * The outcome a rollback undoes, read by the worker from Temporal itself (docs/architecture.md, Prior state and
 * rollback; Trust model): the remediation run's result when it completed, its `status` query while it cools down.
 * A rollback's input only names the run; the prior state it restores is what the remediation recorded in its own
 * history, never what a caller sends.
 */
import { Context } from '@temporalio/activity';
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { RemediationResult } from '../domain/remediation';
import { outcomeToRollBack } from '../domain/rollback';
import type { RecordedOutcome, RollbackTarget } from '../domain/rollback';
import { REMEDIATION_WORKFLOW_TYPE, statusQuery } from '../workflows/definitions';

/** What `readRecordedOutcome` looks at: a run (the current one when `runId` is absent) and, optionally, its queue. */
export interface RecordedOutcomeRequest {
  readonly workflowId: string;
  readonly runId?: string;
  /**
   * The task queue the remediation must have run on. The worker passes its own: a run on another queue was handled
   * (and its result written) by workers it cannot vouch for, under another policy.
   */
  readonly taskQueue?: string;
}

/** The answer, with the run it is about (resolved when the request named none). */
export type RecordedOutcomeOfRun = RecordedOutcome & { readonly runId: string };

/**
 * Reads a remediation run's recorded outcome with the given client: describes the run, refuses anything that is not
 * a remediation (or ran on another queue), and picks the newest remediated outcome that changed something. Shared by
 * the `recordedOutcome` activity (the authority) and `remediator rollback` (which only refuses early with it).
 * Throws only for what may pass (the server unreachable, a query that timed out).
 */
export async function readRecordedOutcome(
  client: Client,
  request: RecordedOutcomeRequest,
): Promise<RecordedOutcomeOfRun> {
  const { workflowId, runId } = request;
  const refused = (run: string, reason: string): RecordedOutcomeOfRun => ({
    found: false,
    reason,
    runId: run,
  });
  let description: WorkflowExecutionDescription;
  try {
    description = await client.workflow.getHandle(workflowId, runId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      return refused(runId ?? '', `no remediation ${workflowId}${runId ? ` run ${runId}` : ''}`);
    }
    throw err;
  }
  const run = description.runId;
  // Only a remediation records outcomes of the shape a rollback restores; any other workflow's result or query
  // could say anything (a rollback's, or one started only to be named here).
  if (description.type !== REMEDIATION_WORKFLOW_TYPE) {
    return refused(
      run,
      `run ${run} of ${workflowId} is a ${description.type}, not a remediation: nothing recorded to roll back`,
    );
  }
  if (request.taskQueue !== undefined && description.taskQueue !== request.taskQueue) {
    return refused(
      run,
      `run ${run} of ${workflowId} ran on task queue ${description.taskQueue}, not ${request.taskQueue}: ` +
        `roll it back on its own queue`,
    );
  }
  // Pinned to the run described: following a continue-as-new would read another run's record.
  const handle = client.workflow.getHandle(workflowId, run, { followRuns: false });
  let outcomes;
  switch (description.status.name) {
    case 'RUNNING':
      outcomes = (await handle.query(statusQuery)).outcomes;
      break;
    case 'COMPLETED':
      outcomes = ((await handle.result()) as RemediationResult).outcomes;
      break;
    case 'CONTINUED_AS_NEW':
      // Which of the carried outcomes came from this run is not recorded: the operator names the current run instead.
      return refused(
        run,
        `run ${run} of ${workflowId} continued as new: its last outcomes moved to the execution's current run; ` +
          `roll back from that run (omit --run), which undoes its newest remediated outcome`,
      );
    default:
      return refused(
        run,
        `run ${run} of ${workflowId} ended ${description.status.name}: nothing recorded to roll back`,
      );
  }
  const outcome = outcomeToRollBack(outcomes);
  if (!outcome) {
    const seen = outcomes.map((o) => o.status).join(', ') || 'no outcome yet';
    return refused(run, `run ${run} of ${workflowId} changed nothing to roll back (${seen})`);
  }
  return { found: true, outcome, runId: run };
}

/** Builds `recordedOutcome` over the worker's own Temporal client. */
export function createRecordedOutcomeActivities(deps: { readonly temporal: Client }) {
  return {
    /**
     * The outcome a rollback of `target` undoes, as the remediation recorded it, or why there is none (a refusal is
     * an answer: nothing to retry). Only the remediation runs of this worker's task queue count.
     */
    async recordedOutcome(target: RollbackTarget): Promise<RecordedOutcome> {
      if (!target.workflowId || !target.runId) {
        return { found: false, reason: 'the request names no remediation run (workflow id and run id)' };
      }
      const answer = await readRecordedOutcome(deps.temporal, {
        workflowId: target.workflowId,
        runId: target.runId,
        taskQueue: Context.current().info.taskQueue,
      });
      return answer.found
        ? { found: true, outcome: answer.outcome }
        : { found: false, reason: answer.reason };
    },
  };
}
