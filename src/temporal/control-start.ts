/**
 * The start half of update-with-start for the control workflow: every update to the control plane (admission,
 * exemption, pause, resume) starts it on the task queue when it is not running yet.
 */
import { WithStartWorkflowOperation } from '@temporalio/client';
import { CONTROL_WORKFLOW_TYPE, controlWorkflowId } from '../workflows/control-definitions';

/** A fresh start operation for the control workflow of `taskQueue` (each update-with-start consumes one). */
export function controlWorkflowStart(taskQueue: string) {
  return new WithStartWorkflowOperation(CONTROL_WORKFLOW_TYPE, {
    workflowId: controlWorkflowId(taskQueue),
    taskQueue,
    workflowIdConflictPolicy: 'USE_EXISTING',
    args: [],
  });
}
