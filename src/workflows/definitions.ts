/**
 * The remediation workflow's public surface: input, signal and query. Clients (ingest, CLI, tests) import these.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ResourceRef, RoutedFinding } from '../domain/finding';
import type { ExecutionSettings } from '../domain/policy';
import type { RemediationSnapshot } from '../domain/remediation';

/** Workflow type name, as registered on the worker and used by clients. */
export const REMEDIATION_WORKFLOW_TYPE = 'remediationWorkflow';

/** Input of one per-resource execution: the resource and the policy snapshot it keeps for its whole life. */
export interface RemediationInput {
  readonly resource: ResourceRef;
  readonly settings: ExecutionSettings;
}

/** Delivers a finding to the resource's execution (used with signal-with-start). */
export const findingSignal = defineSignal<[RoutedFinding]>('finding');

/** Returns where the execution stands: phase, current finding, queue, repeats and outcomes so far. */
export const statusQuery = defineQuery<RemediationSnapshot>('status');
