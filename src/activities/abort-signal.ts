/**
 * The signal every AWS call of an activity passes on: aborted when Temporal cancels the activity (heartbeating ones)
 * and when the attempt's start-to-close timeout has passed. Without the deadline, a request that hangs outlives its
 * timed-out attempt: the server retries the activity while the first request is still open, and if that request
 * lands late it writes after the retry (a stale write the recorded prior state knows nothing of).
 */
import { Context } from '@temporalio/activity';
import { linkedSignal } from '../linked-signal';

const signals = new WeakMap<Context, AbortSignal>();

/** The current activity's abort signal: cancellation or its start-to-close deadline, whichever comes first. */
export function activityAbortSignal(): AbortSignal {
  const ctx = Context.current();
  let signal = signals.get(ctx);
  if (!signal) {
    // One per attempt (each attempt has its own context), timed from the attempt's first call here (the start of
    // the activity method), so it fires no earlier than the server's start-to-close timer. It is late by the time
    // before that call plus any event-loop delay; a retry's backoff is the slack that keeps the abandoned request
    // ahead of the retry. Never released: it lives as long as the attempt's context.
    const timeoutMs = ctx.info.startToCloseTimeoutMs;
    signal =
      timeoutMs > 0 ? linkedSignal([ctx.cancellationSignal], timeoutMs).signal : ctx.cancellationSignal;
    signals.set(ctx, signal);
  }
  return signal;
}
