/**
 * The worker's own policy, handed to the workflows that ask (docs/architecture.md, Trust model): a workflow gets its
 * settings from this activity, recorded in its history, never from its input. An input may name the policy version
 * the requester saw; a mismatch is logged, and the worker's policy wins.
 */
import { Context } from '@temporalio/activity';
import type { ExecutionSettings, WorkerPolicy } from '../domain/policy';

/** Where the activities find the worker's policy: per task queue, because one process may serve several. */
export type PolicySource = (taskQueue: string) => WorkerPolicy;

/** What a workflow asks: the version its requester saw, if any. */
export interface SettingsRequest {
  readonly requestedVersion?: string;
}

/** The worker's settings and the version they come from. */
export interface WorkerSettings {
  readonly version: string;
  readonly settings: ExecutionSettings;
}

/** Builds `workerSettings` over the worker's policy. */
export function createWorkerSettingsActivities(policyFor: PolicySource) {
  return {
    /** The execution settings of the worker's policy; logs a requester that saw another version. */
    async workerSettings(request: SettingsRequest = {}): Promise<WorkerSettings> {
      const ctx = Context.current();
      const policy = policyFor(ctx.info.taskQueue);
      if (request.requestedVersion !== undefined && request.requestedVersion !== policy.version) {
        ctx.log.warn("The request named another policy version; the worker's policy applies", {
          requested: String(request.requestedVersion).slice(0, 64),
          worker: policy.version,
          workflowId: ctx.info.workflowExecution?.workflowId,
        });
      }
      return { version: policy.version, settings: policy.settings };
    },
  };
}
