/**
 * The deadline every AWS call of an activity carries. It must fire even after the garbage collector has run: Node's
 * `AbortSignal.any([s, AbortSignal.timeout(ms)])` loses the timeout signal to a collection and never fires
 * (nodejs/node#57736), which let a held request outlive its attempt in the fault suite. The deadline itself is
 * `linkedSignal`'s (test/unit/linked-signal.test.ts); these tests are the activity's side of it.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { activityAbortSignal } from '../../src/activities/abort-signal';
import { collectWhilePending } from '../helpers/collect-garbage';

it("gives each activity attempt one signal that aborts at the attempt's start-to-close timeout", async () => {
  const env = new MockActivityEnvironment({ startToCloseTimeoutMs: 250 });
  const started = Date.now();

  const abortedAfterMs = await env.run(async () => {
    const signal = activityAbortSignal();
    expect(activityAbortSignal()).toBe(signal);
    // Listen before collecting: on a loaded machine the collections can outlast the deadline.
    const aborted = new Promise<number>((resolve) =>
      signal.addEventListener('abort', () => resolve(Date.now() - started), { once: true }),
    );
    await collectWhilePending();
    return aborted;
  });

  expect(abortedAfterMs).toBeGreaterThanOrEqual(240);
  // What broke was a signal that never fired. Full collections of a Jest heap that has run many suites on a busy
  // 2-core machine take seconds and hold the event loop, so the bound is what "fired" means, not the precision.
  expect(abortedAfterMs).toBeLessThan(20_000);
}, 30_000);

it('aborts on cancellation of the activity', async () => {
  const env = new MockActivityEnvironment({ startToCloseTimeoutMs: 60_000 });
  const reason = env.run(async () => {
    const signal = activityAbortSignal();
    setTimeout(() => env.cancel('CANCELLED'), 10);
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    return signal.aborted;
  });
  await expect(reason).resolves.toBe(true);
}, 5000);
