/**
 * The signal every AWS call of an activity passes on: aborted when Temporal cancels the activity (heartbeating ones)
 * and when the attempt's start-to-close timeout has passed. Without the deadline, a request that hangs outlives its
 * timed-out attempt: the server retries the activity while the first request is still open, and if that request
 * lands late it writes after the retry (a stale write the recorded prior state knows nothing of). The same timing
 * gives the attempt's deadline, for work that must not be cut half-way (an ENI in the allow-all group).
 */
import { Context } from '@temporalio/activity';
import { linkedSignal } from '../linked-signal';

/** One attempt's timing: its signal and when its start-to-close timeout runs out (epoch ms), from one clock. */
interface AttemptTiming {
  readonly signal: AbortSignal;
  readonly startToCloseEnd?: number;
}

const timings = new WeakMap<Context, AttemptTiming>();

function timingOf(ctx: Context): AttemptTiming {
  let timing = timings.get(ctx);
  if (!timing) {
    // One per attempt (each attempt has its own context), timed from the attempt's first call here (the start of
    // the activity method), so it fires no earlier than the server's start-to-close timer. It is late by the time
    // before that call plus any event-loop delay; a retry's backoff is the slack that keeps the abandoned request
    // ahead of the retry. Never released: it lives as long as the attempt's context.
    const timeoutMs = ctx.info.startToCloseTimeoutMs;
    timing =
      timeoutMs > 0
        ? {
            signal: linkedSignal([ctx.cancellationSignal], timeoutMs).signal,
            startToCloseEnd: Date.now() + timeoutMs,
          }
        : { signal: ctx.cancellationSignal };
    timings.set(ctx, timing);
  }
  return timing;
}

/** The current activity's abort signal: cancellation or its start-to-close deadline, whichever comes first. */
export function activityAbortSignal(): AbortSignal {
  return timingOf(Context.current()).signal;
}

/**
 * When the current attempt will be timed out (epoch ms): its start-to-close deadline (the signal's), or the
 * schedule-to-close deadline if sooner. A schedule-to-close deadline already past is ignored: the server would not
 * have started the attempt (only test environments, whose scheduled time is made up, show one).
 */
export function activityDeadline(now = Date.now()): number | undefined {
  const ctx = Context.current();
  const { info } = ctx;
  const ends: number[] = [];
  const startToCloseEnd = timingOf(ctx).startToCloseEnd;
  if (startToCloseEnd !== undefined) ends.push(startToCloseEnd);
  const scheduleEnd = info.scheduledTimestampMs + info.scheduleToCloseTimeoutMs;
  if (info.scheduleToCloseTimeoutMs > 0 && scheduleEnd > now) ends.push(scheduleEnd);
  return ends.length > 0 ? Math.min(...ends) : undefined;
}
