/** Asking the control workflow again when the server refuses an update for lack of room (RESOURCE_EXHAUSTED). */
import { isResourceExhausted, withUpdateBackpressure } from '../../src/activities/update-backpressure';

/** The shape the Temporal client throws: an Error wrapping the gRPC error with its status code. */
function exhausted(): Error {
  const grpc = Object.assign(new Error('8 RESOURCE_EXHAUSTED: Update-with-Start could not be executed.'), {
    code: 8,
  });
  return new Error('limit on number of concurrent in-flight updates has been reached (10)', { cause: grpc });
}

it('recognises RESOURCE_EXHAUSTED wrapped in the client error, and nothing else', () => {
  expect(isResourceExhausted(exhausted())).toBe(true);
  expect(isResourceExhausted(Object.assign(new Error('unavailable'), { code: 14 }))).toBe(false);
  expect(isResourceExhausted('8')).toBe(false);
});

it('asks again after short, growing waits until the server takes the update', async () => {
  let calls = 0;
  const waits: number[] = [];
  const started = Date.now();
  const result = await withUpdateBackpressure(
    async () => {
      calls += 1;
      if (calls <= 3) throw exhausted();
      return 'proceed';
    },
    new AbortController().signal,
    (_, waitMs) => waits.push(waitMs),
  );
  expect(result).toBe('proceed');
  expect(calls).toBe(4);
  // 25, 50, 100 ms, each ±50 %.
  expect(waits).toHaveLength(3);
  waits.forEach((w, i) => {
    expect(w).toBeGreaterThanOrEqual(12 * 2 ** i);
    expect(w).toBeLessThanOrEqual(38 * 2 ** i);
  });
  expect(Date.now() - started).toBeLessThan(1000);
});

it('throws any other error at once, and stops asking when the attempt is aborted', async () => {
  let calls = 0;
  await expect(
    withUpdateBackpressure(async () => {
      calls += 1;
      throw new Error('the control workflow refused the admission');
    }, new AbortController().signal),
  ).rejects.toThrow('refused');
  expect(calls).toBe(1);

  const abort = new AbortController();
  calls = 0;
  const pending = withUpdateBackpressure(async () => {
    calls += 1;
    if (calls === 2) abort.abort();
    throw exhausted();
  }, abort.signal);
  await expect(pending).rejects.toThrow('in-flight updates');
  expect(calls).toBe(2);
});
