/**
 * Temporal bounds the updates in flight on one workflow (10 by default, on the dev server and on Temporal Cloud) and
 * refuses more with RESOURCE_EXHAUSTED. Every remediation's admission is an update on the one control workflow, so a
 * storm of findings meets that bound at once: without a retry here, the activity's own retry policy (30 s backoff,
 * 4 attempts) turned backpressure into escalations ("the admission check failed"). The update id is idempotent, so
 * asking again is safe; the wait is short and jittered, and ends with the attempt's deadline.
 */
import { isGrpcServiceError } from '@temporalio/client';
import { abortableSleep } from '../abortable-sleep';

/** gRPC status RESOURCE_EXHAUSTED. */
const RESOURCE_EXHAUSTED = 8;
/** Longest single wait between two asks. */
const MAX_WAIT_MS = 1000;

/** True when `err`, or an error it wraps, is the server refusing for lack of room (RESOURCE_EXHAUSTED). */
export function isResourceExhausted(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e instanceof Error; depth += 1) {
    // The client's GrpcServiceError, or an error carrying the same numeric status.
    if (
      (isGrpcServiceError(e) || 'code' in e) &&
      Number((e as { code?: unknown }).code) === RESOURCE_EXHAUSTED
    )
      return true;
    e = e.cause;
  }
  return false;
}

/**
 * Calls `call` until it is not refused with RESOURCE_EXHAUSTED (any other error is thrown at once), waiting 25 ms,
 * 50 ms, … up to 1 s between asks, ±50 % jitter so held asks do not return together. Stops when `signal` aborts.
 */
export async function withUpdateBackpressure<T>(
  call: () => Promise<T>,
  signal: AbortSignal,
  onRefused?: (attempt: number, waitMs: number) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (err) {
      if (!isResourceExhausted(err) || signal.aborted) throw err;
      const waitMs = Math.round(
        Math.min(MAX_WAIT_MS, 25 * 2 ** Math.min(attempt - 1, 6)) * (0.5 + Math.random()),
      );
      onRefused?.(attempt, waitMs);
      await abortableSleep(waitMs, signal);
    }
  }
}
