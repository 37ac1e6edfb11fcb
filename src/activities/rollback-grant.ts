/**
 * Before the control workflow honours the exemption a rollback grants, it asks that rollback, through Temporal
 * itself, who approved it (docs/architecture.md, Trust model): an update that merely says "a rollback granted this"
 * is a request like any other.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { ResourceRef } from '../domain/finding';
import { ROLLBACK_WORKFLOW_TYPE, rollbackApprovalsQuery } from '../workflows/rollback-definitions';

/** What the rollback's record says, or why it does not vouch for the exemption. */
export type RollbackGrant =
  | {
      readonly granted: true;
      readonly resource: ResourceRef;
      readonly approvedBy: readonly string[];
      /** How long the rollback asked the resource to stay exempt. */
      readonly exemptForMs: number;
    }
  | { readonly granted: false; readonly reason: string };

/** Builds `rollbackGrant` over the worker's Temporal client. */
export function createRollbackGrantActivities(deps: { readonly temporal: Client }) {
  return {
    /** Whether `workflowId` is a running rollback on this task queue that has restored and verified its resource. */
    async rollbackGrant(workflowId: string): Promise<RollbackGrant> {
      const { taskQueue } = Context.current().info;
      const handle = deps.temporal.workflow.getHandle(workflowId);
      let described;
      try {
        described = await handle.describe();
      } catch (err) {
        if (err instanceof WorkflowNotFoundError)
          return { granted: false, reason: `no rollback ${workflowId}` };
        throw err;
      }
      if (described.type !== ROLLBACK_WORKFLOW_TYPE) {
        return { granted: false, reason: `${workflowId} is a ${described.type}, not a rollback` };
      }
      if (described.taskQueue !== taskQueue || described.status.name !== 'RUNNING') {
        return { granted: false, reason: `${workflowId} is not a rollback running on ${taskQueue}` };
      }
      const approvals = await handle.query(rollbackApprovalsQuery);
      if (!approvals.restored || !approvals.resource || approvals.approvedBy.length === 0) {
        return { granted: false, reason: `${workflowId} has not restored and verified its resource` };
      }
      return {
        granted: true,
        resource: approvals.resource,
        approvedBy: approvals.approvedBy,
        exemptForMs: approvals.exemptForMs,
      };
    },
  };
}
