/**
 * The remediation workflow's public surface: input, signal and query. Clients (ingest, CLI, tests) import these.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ApprovalDecision, ApprovalReceipt, ApprovalRequest } from '../domain/approval';
import type { ResourceRef, RoutedFinding } from '../domain/finding';
import type { IntakeSummary } from '../domain/finding-intake';
import type { Outcome, RemediationSnapshot } from '../domain/remediation';

/** The one remediation workflow type: what ingest starts, one execution per resource (src/workflows/remediation.ts). */
export const REMEDIATION_WORKFLOW_TYPE = 'remediationWorkflow';

/** What a run hands the next when it continues as new: a compact summary, never the whole history. */
export interface CarriedState {
  /** Queued findings, fingerprints still absorbing repeats, last fixes and counters. */
  readonly intake: IntakeSummary;
  /** The last outcomes (at most `MAX_CARRIED_OUTCOMES`), so the result and the query still show them. */
  readonly outcomes: readonly Outcome[];
  /** When the cool-down ends (ISO 8601): continuing as new does not extend it. */
  readonly cooldownEndsAt: string;
  /** How many runs came before this one. */
  readonly continuedAsNew: number;
}

/**
 * Input of one per-resource execution: which resource, and the policy version the requester saw. It is a request:
 * the settings come from the worker's own policy (`openRemediation` or `workerSettings`), and a version that differs
 * is only logged.
 */
export interface RemediationInput {
  readonly resource: ResourceRef;
  readonly policyVersion?: string;
  /** Set only by continue-as-new: what the previous run left. */
  readonly carried?: CarriedState;
}

/** Delivers a finding to the resource's execution (used with signal-with-start). */
export const findingSignal = defineSignal<[RoutedFinding]>('finding');

/** Who asks for a cancellation and why: recorded in the `CANCELLED` outcome (a note, never a reason to cancel). */
export interface CancellationNote {
  readonly by: string;
  readonly reason: string;
}

/**
 * Tells the execution who is about to cancel it and why (`remediator cancel` sends it just before the cancellation
 * request). Only annotates: the cancellation itself is Temporal's request, and nothing changes without one.
 */
export const cancellationNoteSignal = defineSignal<[CancellationNote]>('cancellationNote');

/** Returns where the execution stands: phase, current finding, queue, repeats and outcomes so far. */
export const statusQuery = defineQuery<RemediationSnapshot>('status');

/**
 * Approves or rejects the remediation waiting for approval. The validator rejects a malformed decision, one that
 * answers no waiting request, or one for another request, before anything is written to history.
 */
export const approvalUpdate = defineUpdate<ApprovalReceipt, [ApprovalDecision]>('decideApproval');

/** The approval request waiting for a decision, if any: what a signed decision must name (its `requestId`). */
export const pendingApprovalQuery = defineQuery<ApprovalRequest | undefined>('pendingApproval');

/**
 * The same decision as a signal, for the Temporal Web UI (which sends signals). Signals cannot be refused, so the
 * handler repeats the update validator's checks and ignores (and logs) a decision that fails them.
 */
export const approvalSignal = defineSignal<[ApprovalDecision]>('approvalDecision');
