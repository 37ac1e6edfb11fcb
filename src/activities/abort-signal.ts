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
    // One per attempt (each attempt has its own context), timed from the attempt's first call here (the start of
    // the activity method), so it fires no earlier than the server's start-to-close timer. It is late by the time before that call plus any event-loop delay; a
    // retry's backoff is the slack that keeps the abandoned request ahead of the retry.
    const timeoutMs = ctx.info.startToCloseTimeoutMs;
    signal = timeoutMs > 0 ? withDeadline(ctx.cancellationSignal, timeoutMs) : ctx.cancellationSignal;
    signals.set(ctx, signal);
  }
  return signal;
}

/**
 * A signal that aborts with `source` or after `timeoutMs`, whichever comes first.
 *
 * Not `AbortSignal.any([source, AbortSignal.timeout(ms)])`: the composite holds its sources weakly and Node's timeout
 * timer holds its signal weakly too, so a collection can drop the timeout signal before it fires (nodejs/node#57736).
 * Under the fault suite's heap pressure that is what happened: the deadline never fired and a held request stayed open
 * past the retry. Here the timer's callback holds the controller, so the deadline fires for as long as it is pending.
 */
export function withDeadline(source: AbortSignal, timeoutMs: number): AbortSignal {
  const controller = new AbortController();
  if (source.aborted) {
    controller.abort(source.reason);
    return controller.signal;
  }
  const timer = setTimeout(() => {
    controller.abort(new DOMException(`deadline of ${timeoutMs} ms passed`, 'TimeoutError'));
  }, timeoutMs);
  // The deadline must not keep a worker that is shutting down alive.
  timer.unref();
  const onSourceAbort = (): void => controller.abort(source.reason);
  source.addEventListener('abort', onSourceAbort, { once: true });
  controller.signal.addEventListener(
    'abort',
    () => {
      clearTimeout(timer);
      source.removeEventListener('abort', onSourceAbort);
    },
    { once: true },
  );
  return controller.signal;
}
