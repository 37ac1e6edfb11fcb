/**
 * Running real activities in a real activity context (MockActivityEnvironment gives the Context; the AWS calls go to
 * moto). Its generics cannot infer through our activity types, so `run` restores them.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';

const env = new MockActivityEnvironment({}, { logger: new DefaultLogger('WARN') });

/** Runs one activity function with its arguments, typed. */
export function runActivity<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
  return env.run(fn as never, ...(args as unknown as never[])) as Promise<R>;
}
