/** Workflow entry points registered on the worker. */
export { remediationWorkflow } from './remediation';
export { remediationControlWorkflow } from './control';
export { rollbackWorkflow } from './rollback';
export { sweepWorkflow } from './sweep';
