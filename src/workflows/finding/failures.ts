/**
 * Reading activity failures in workflow code: the AWS error's message and type (classified once, in the activity),
 * which part of a preparation failed, and whether a failure is the execution being cancelled.
 */
import { ActivityFailure, ApplicationFailure, isCancellation, TimeoutFailure } from '@temporalio/workflow';
import type { PreparationStage } from '../../activities/composite';

/**
 * The innermost message of an activity failure (the AWS error's, where there is one). A timeout carries the last
 * attempt's failure as its cause: it is added, since it says what the activity had done (where an ENI ended).
 */
export function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) {
    const last = err.cause instanceof TimeoutFailure ? lastAttemptMessage(err.cause) : undefined;
    return last ? `${err.cause.message} (last attempt: ${last})` : err.cause.message;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * The last attempt's failure under a timeout. The SDK does not turn a timeout's cause into an error, so it is read
 * from the failure as the server sent it: the activity's own failure, which says what the attempt did.
 */
function lastAttemptMessage(timeout: TimeoutFailure): string | undefined {
  return timeout.failure?.cause?.message ?? undefined;
}

/** The AWS error name carried as the ApplicationFailure type, if any. */
export function failureType(err: unknown): string | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

/** Which part of a preparation failed, from the stage its activity put in the failure's details. */
export function failureStage(err: unknown): PreparationStage | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  const stage = cause instanceof ApplicationFailure ? cause.details?.[0] : undefined;
  return stage === 'analysis' || stage === 'admission' || stage === 'capture' ? stage : undefined;
}

/**
 * Rethrows the execution's cancellation so that it reaches the handler's cancellation path instead of being
 * taken for an AWS failure and escalated; any other failure is left to the caller.
 */
export function rethrowCancellation(err: unknown): void {
  if (isCancellation(err)) throw err;
}
