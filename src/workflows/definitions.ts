/**
 * The remediation workflow's public surface: input, signal and query. Clients (ingest, CLI, tests) import these.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ApprovalDecision, ApprovalReceipt } from '../domain/approval';
import type { ResourceRef, RoutedFinding } from '../domain/finding';
import type { ExecutionSettings } from '../domain/policy';
import type { RemediationSnapshot } from '../domain/remediation';

/** Workflow type ingest starts (`remediationWorkflowV2`: the lean shape, see src/workflows/remediation.ts). */
export const REMEDIATION_WORKFLOW_TYPE = 'remediationWorkflowV2';

/**
 * Every remediation workflow type: the first one stays registered for executions started before the lean one, and
 * listings include both. Signal-with-start reaches a running execution of either type by its id.
 */
export const REMEDIATION_WORKFLOW_TYPES = ['remediationWorkflow', REMEDIATION_WORKFLOW_TYPE] as const;

/** Input of one per-resource execution: the resource and the policy snapshot it keeps for its whole life. */
export interface RemediationInput {
  readonly resource: ResourceRef;
  readonly settings: ExecutionSettings;
}

/** Delivers a finding to the resource's execution (used with signal-with-start). */
export const findingSignal = defineSignal<[RoutedFinding]>('finding');

/** Returns where the execution stands: phase, current finding, queue, repeats and outcomes so far. */
export const statusQuery = defineQuery<RemediationSnapshot>('status');

/**
 * Approves or rejects the remediation waiting for approval. The validator rejects a malformed decision, one that
 * answers no waiting request, or one for another request, before anything is written to history.
 */
export const approvalUpdate = defineUpdate<ApprovalReceipt, [ApprovalDecision]>('decideApproval');

/**
 * The same decision as a signal, for the Temporal Web UI (which sends signals). Signals cannot be refused, so the
 * handler repeats the update validator's checks and ignores (and logs) a decision that fails them.
 */
export const approvalSignal = defineSignal<[ApprovalDecision]>('approvalDecision');
