/**
 * The rollback workflow's public surface: its type, its id per remediation run (one rollback per run), and its
 * status values in the `RemediationStatus` search attribute.
 */
import { defineQuery } from '@temporalio/workflow';
import type { ResourceRef } from '../domain/finding';

/** Workflow type name of an operator rollback. */
export const ROLLBACK_WORKFLOW_TYPE = 'rollbackWorkflow';

/** One rollback per remediation run: a second request finds the first. */
export function rollbackWorkflowId(workflowId: string, runId: string): string {
  return `rollback/${workflowId}/${runId}`;
}

/** What a rollback has verified so far: the control workflow reads it before honouring the rollback's exemption. */
export interface RollbackApprovals {
  /** The resource of the remediation's record (absent before the record is read). */
  readonly resource?: ResourceRef;
  /** Deciders the worker verified: the requester, and for a containment the second approver. */
  readonly approvedBy: readonly string[];
  /** True once the restored state was read back and matched the recorded prior state. */
  readonly restored: boolean;
  /** How long the request asked the resource to stay exempt afterwards (0: none). */
  readonly exemptForMs: number;
}

/** The rollback's verified approvers and whether it has restored the resource. */
export const rollbackApprovalsQuery = defineQuery<RollbackApprovals>('rollbackApprovals');
