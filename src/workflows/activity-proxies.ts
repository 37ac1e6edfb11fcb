/**
 * Activity stubs for one playbook's settings. Retry and timeouts come from the worker's policy (`workerSettings`).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { ActivityInterfaceFor, ActivityOptions } from '@temporalio/workflow';
import type { PlaybookSettings } from '../domain/policy';
import type { createActivities } from '../activities';

/** The activity interface the worker registers. */
export type RemediationActivities = ReturnType<typeof createActivities>;

/** Options for AWS-facing activities: the playbook's timeout and retry policy (seed: 30 s, ×2, 4 attempts). */
export function awsActivityOptions(settings: PlaybookSettings): ActivityOptions {
  return {
    startToCloseTimeout: settings.activityTimeoutMs,
    retry: {
      initialInterval: settings.retry.initialIntervalMs,
      backoffCoefficient: settings.retry.backoffCoefficient,
      maximumAttempts: settings.retry.maximumAttempts,
      maximumInterval: settings.retry.maximumIntervalMs,
    },
  };
}

/** How long containment keeps retrying a step when the policy does not say: about half an hour. */
export const DEFAULT_CONTAINMENT_DEADLINE_MS = 30 * 60_000;

/**
 * Options for containment's AWS activities (docs/architecture.md, Containment): throttling or a lost worker must not
 * end an isolation after four tries, so attempts are unlimited within the schedule-to-close deadline (permanent AWS
 * errors still fail at once, they are non-retryable); the gaps stay short, and a heartbeat timeout lets another
 * worker take over within seconds when one dies mid-step (the activities heartbeat while they run).
 */
export function containmentActivityOptions(settings: PlaybookSettings): ActivityOptions {
  return {
    startToCloseTimeout: settings.activityTimeoutMs,
    heartbeatTimeout: Math.min(CONTAINMENT_HEARTBEAT_TIMEOUT_MS, settings.activityTimeoutMs),
    scheduleToCloseTimeout: settings.containmentDeadlineMs ?? DEFAULT_CONTAINMENT_DEADLINE_MS,
    retry: {
      initialInterval: Math.min(settings.retry.initialIntervalMs, 1000),
      backoffCoefficient: 2,
      maximumInterval: Math.min(settings.retry.maximumIntervalMs, 30_000),
      // No maximumAttempts: unlimited, bounded by scheduleToCloseTimeout.
    },
  };
}

/**
 * Options for the verifying activities (docs/architecture.md, Verification): they read until the fix holds, so their
 * window (the policy's `propagationWaitMs`) comes on top of the playbook's timeout, and they heartbeat so that when
 * a worker dies mid-window another resumes the reads within the heartbeat timeout, not after the whole timeout.
 */
export function verifyingActivityOptions(
  settings: PlaybookSettings,
): Pick<ActivityOptions, 'startToCloseTimeout' | 'heartbeatTimeout'> {
  return {
    startToCloseTimeout: settings.activityTimeoutMs + settings.propagationWaitMs,
    heartbeatTimeout: Math.min(VERIFY_HEARTBEAT_TIMEOUT_MS, settings.activityTimeoutMs),
  };
}

/** A verification attempt that has not heartbeaten for this long is given to another worker (as containment). */
export const VERIFY_HEARTBEAT_TIMEOUT_MS = 20_000;

/** A containment attempt that has not heartbeaten for this long is given to another worker. */
export const CONTAINMENT_HEARTBEAT_TIMEOUT_MS = 20_000;

/** Notifications and audit records: retried longer, because losing an escalation is worse than a late one. */
export const NOTIFY_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '2m', maximumAttempts: 10 },
};

/** Reporting a verified fix back to the detector: a few quick tries, it is a courtesy, not part of the fix. */
export const WRITE_BACK_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3 },
};

/** Asking the worker for its policy settings: local work, quick tries. */
export const SETTINGS_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '10s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 10 },
};

/**
 * Opening a run (the worker's settings and the first finding's preparation): quick tries like the settings, with
 * time for the preparation's AWS reads. A preparation that fails in it is not retried there: the workflow prepares
 * again with the playbook's own timeout and retries, which are only known once the settings are.
 */
export const OPEN_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '60s',
  retry: SETTINGS_ACTIVITY_OPTIONS.retry,
};

/** Stubs bound to the given options. */
export function activitiesWith(options: ActivityOptions): ActivityInterfaceFor<RemediationActivities> {
  return proxyActivities<RemediationActivities>(options);
}
