/**
 * The rollback workflow's public surface: its type, its id per remediation run (one rollback per run), and its
 * status values in the `RemediationStatus` search attribute.
 */

/** Workflow type name of an operator rollback. */
export const ROLLBACK_WORKFLOW_TYPE = 'rollbackWorkflow';

/** One rollback per remediation run: a second request finds the first. */
export function rollbackWorkflowId(workflowId: string, runId: string): string {
  return `rollback/${workflowId}/${runId}`;
}
