/** Workflow entry points registered on the worker. */
export { remediationWorkflow, remediationWorkflowV2 } from './remediation';
export { remediationControlWorkflow } from './control';
export { rollbackWorkflow } from './rollback';
export { sweepWorkflow } from './sweep';
