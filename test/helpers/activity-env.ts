/**
 * Running real activities in a real activity context (MockActivityEnvironment gives the Context; the AWS calls go to
 * moto). Its generics cannot infer through our activity types, so `run` restores them.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';

const logger = new DefaultLogger('WARN');

/** Runs one activity function with its arguments, typed, as one attempt (its own context and deadline). */
export function runActivity<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  // A real attempt's length (the mock's default is 1 s): the isolation starts a move into the allow-all group only
  // with time left in the attempt for the move back out.
  const env = new MockActivityEnvironment({ startToCloseTimeoutMs: 30_000 }, { logger });
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
  return env.run(fn as never, ...(args as unknown as never[])) as Promise<R>;
}

/**
 * The same as a later attempt (`attempt`, 2 and up): a retry after an earlier attempt timed out, which heartbeated
 * `heartbeatDetails` last (`{ applying: step }`: it had started to make that step's change).
 */
export function runActivityAttempt<A extends unknown[], R>(
  retry: { readonly attempt: number; readonly heartbeatDetails?: unknown },
  fn: (...args: A) => Promise<R>,
  ...args: A
): Promise<R> {
  const env = new MockActivityEnvironment(
    { startToCloseTimeoutMs: 30_000, attempt: retry.attempt, heartbeatDetails: retry.heartbeatDetails },
    { logger },
  );
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
  return env.run(fn as never, ...(args as unknown as never[])) as Promise<R>;
}
