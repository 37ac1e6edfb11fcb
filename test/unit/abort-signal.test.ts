/**
 * The deadline every AWS call of an activity carries. It must fire even after the garbage collector has run: Node's
 * `AbortSignal.any([s, AbortSignal.timeout(ms)])` loses the timeout signal to a collection and never fires
 * (nodejs/node#57736), which let a held request outlive its attempt in the fault suite.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MockActivityEnvironment } from '@temporalio/testing';
import { activityAbortSignal, withDeadline } from '../../src/activities/abort-signal';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Full collections while the deadline is pending, as a busy worker's heap would run them. */
async function collectWhilePending(): Promise<void> {
  for (let i = 0; i < 5; i += 1) {
    collectGarbage();
    await sleep(20);
  }
}

it('fires at its deadline after full garbage collections, with only a listener holding it (as the SDK does)', async () => {
  const source = new AbortController();
  const started = Date.now();
  let reason: unknown;
  let abortedAfterMs: number | undefined;
  withDeadline(source.signal, 250).addEventListener('abort', (event) => {
    reason = (event.target as AbortSignal).reason;
    abortedAfterMs = Date.now() - started;
  });

  await collectWhilePending();
  await sleep(Math.max(0, started + 650 - Date.now()));

  expect(abortedAfterMs).toBeGreaterThanOrEqual(245);
  expect(reason).toBeInstanceOf(DOMException);
  expect((reason as DOMException).name).toBe('TimeoutError');
});

it('aborts with the source, carrying its reason, before the deadline', async () => {
  const source = new AbortController();
  const signal = withDeadline(source.signal, 60_000);
  const cancelled = new Error('activity cancelled');

  source.abort(cancelled);

  expect(signal.aborted).toBe(true);
  expect(signal.reason).toBe(cancelled);
});

it('is aborted at once when the source already is', () => {
  const source = new AbortController();
  source.abort('gone');
  expect(withDeadline(source.signal, 60_000).reason).toBe('gone');
});

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
  expect(abortedAfterMs).toBeLessThan(2000);
}, 5000);

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
