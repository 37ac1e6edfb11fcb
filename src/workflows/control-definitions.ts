/**
 * The control workflow's public surface (one execution per task queue): admission by update, exemptions and pauses
 * by update, its state by query, and the signal it sends held remediations when their pause is lifted.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AdmissionDecision, AdmissionRequest, ControlState, Exemption, Pause } from '../domain/controls';
import type { ExemptRequest, PauseRequest, ResumeRequest } from '../domain/control-decisions';

/** Workflow type name of the control plane. */
export const CONTROL_WORKFLOW_TYPE = 'remediationControlWorkflow';

/** The control plane's workflow id for a task queue: one per deployment, shared by its workers and CLI. */
export function controlWorkflowId(taskQueue: string): string {
  return `remediation-control/${taskQueue}`;
}

/**
 * Memo field where the control workflow publishes its exemptions and pauses (`PublishedControls`), for admissions
 * that need no count.
 */
export const CONTROLS_MEMO_KEY = 'controls';

/** What the control workflow publishes in its memo. */
export type PublishedControls = Pick<ControlState, 'exemptions' | 'pauses'>;

/** Decides whether a remediation may make its first change (exemptions, pauses, flapping, breaker). */
export const admitUpdate = defineUpdate<AdmissionDecision, [AdmissionRequest]>('admit');

/**
 * Exempts a resource (pattern) until a time: a signed decision (or a rollback's own exemption, which the control
 * workflow checks with the rollback). A containment is exempt only once two distinct deciders have exempted it.
 */
export const exemptUpdate = defineUpdate<Exemption, [ExemptRequest]>('exempt');

/** Pauses new remediations, for a playbook and/or an account or everything: a signed decision. */
export const pauseUpdate = defineUpdate<Pause, [PauseRequest]>('pause');

/** Lifts the pauses matching exactly this scope (a signed decision); returns how many were lifted. */
export const resumeUpdate = defineUpdate<{ lifted: number; released: number }, [ResumeRequest]>('resume');

/** The exemptions, pauses and counted admissions. */
export const controlStateQuery = defineQuery<ControlState>('controlState');

/** Sent to a remediation held by a pause when the pause is lifted, so it asks again at once. */
export const resumeSignal = defineSignal('resume');
