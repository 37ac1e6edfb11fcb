/**
 * Heartbeats for activities that have a heartbeat timeout (containment: docs/architecture.md, Containment). The
 * server then notices within that timeout when the worker running an isolation dies, and another worker retries the
 * step at once instead of after the whole start-to-close timeout. An attempt that ends before the first interval
 * sends no heartbeat, so quick activities cost nothing extra.
 */
import { Context } from '@temporalio/activity';
import { currentDetails } from './heartbeat-details';

/** Heartbeats this many times per heartbeat timeout. */
const BEATS_PER_TIMEOUT = 4;

/** Wraps an activity so it heartbeats while it runs, when (and only when) its options set a heartbeat timeout. */
export function keepAlive<A extends unknown[], R>(
  activity: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args: A): Promise<R> => {
    const ctx = Context.current();
    const timeoutMs = ctx.info.heartbeatTimeoutMs ?? 0;
    if (timeoutMs <= 0) return activity(...args);
    // Each beat repeats the attempt's latest details (the step it is applying), so a retry still finds them.
    const timer = setInterval(
      () => ctx.heartbeat(currentDetails(ctx)),
      Math.max(250, timeoutMs / BEATS_PER_TIMEOUT),
    );
    try {
      return await activity(...args);
    } finally {
      clearInterval(timer);
    }
  };
}

/** The same object with the named activities wrapped in `keepAlive`. */
export function keptAlive<T extends Record<string, unknown>, K extends keyof T>(
  activities: T,
  names: readonly K[],
): T {
  const wrapped: Record<string, unknown> = { ...activities };
  for (const name of names) {
    const activity = activities[name] as unknown as (...args: unknown[]) => Promise<unknown>;
    wrapped[name as string] = keepAlive(activity);
  }
  return wrapped as T;
}
