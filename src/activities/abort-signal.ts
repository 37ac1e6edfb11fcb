/**
 * The signal every AWS call of an activity passes on: aborted when Temporal cancels the activity (heartbeating ones)
 * and when the attempt's start-to-close timeout has passed. Without the deadline, a request that hangs outlives its
 * timed-out attempt: the server retries the activity while the first request is still open, and if that request
 * lands late it writes after the retry (a stale write the recorded prior state knows nothing of).
 */
import { Context } from '@temporalio/activity';

const signals = new WeakMap<Context, AbortSignal>();

/** The current activity's abort signal: cancellation or its start-to-close deadline, whichever comes first. */
export function activityAbortSignal(): AbortSignal {
  const ctx = Context.current();
  let signal = signals.get(ctx);
  if (!signal) {
    // One per attempt (each attempt has its own context), timed from its first AWS call: at most a few
    // milliseconds after the server started the attempt's start-to-close timer.
    const timeoutMs = ctx.info.startToCloseTimeoutMs;
    signal =
      timeoutMs > 0
        ? AbortSignal.any([ctx.cancellationSignal, AbortSignal.timeout(timeoutMs)])
        : ctx.cancellationSignal;
    signals.set(ctx, signal);
  }
  return signal;
}
