/**
 * The read-back schedule of verification (src/activities/verification-polling.ts) on a virtual clock: when each read
 * happens, when it stops, and how a retry resumes a window.
 */
import {
  DEFAULT_VERIFY_BACKOFF,
  gapAfterRead,
  pollVerification,
  verifyingProgressFrom,
} from '../../src/activities/verification-polling';
import type { VerifyingProgress } from '../../src/activities/verification-polling';
import type { Verification } from '../../src/domain/remediation';

/** A virtual clock, reads that pass from the `passAt`-th on, and what happened. */
function scene(passAt: number, start = 1_000_000, conclusiveAt?: number) {
  let now = start;
  const readsAt: number[] = [];
  const progress: VerifyingProgress[] = [];
  const read = (): Promise<Verification> => {
    readsAt.push(now - start);
    const n = readsAt.length;
    return Promise.resolve({
      passed: n >= passAt,
      detail: n >= passAt ? 'on' : 'off',
      observed: {},
      at: new Date(now).toISOString(),
      ...(conclusiveAt !== undefined && n >= conclusiveAt ? { conclusive: true } : {}),
    });
  };
  const env = {
    now: () => now,
    sleep: (ms: number) => {
      now += ms;
      return Promise.resolve();
    },
    progress: (p: VerifyingProgress) => progress.push(p),
  };
  return { read, env, readsAt, progress, start };
}

it('doubles the gap from the first interval up to the longest', () => {
  expect([1, 2, 3, 4, 5, 6, 7].map((n) => gapAfterRead(n, DEFAULT_VERIFY_BACKOFF))).toEqual([
    1000, 2000, 4000, 8000, 10_000, 10_000, 10_000,
  ]);
  expect(gapAfterRead(1_000, DEFAULT_VERIFY_BACKOFF)).toBe(10_000);
});

it('stops at the first read that passes, without noting progress', async () => {
  const s = scene(1);
  const v = await pollVerification(s.read, 60_000, DEFAULT_VERIFY_BACKOFF, s.env);
  expect(v).toMatchObject({ passed: true, reads: 1, detail: 'on' });
  expect(s.readsAt).toEqual([0]);
  expect(s.progress).toEqual([]);
});

it('reads at 0, 1, 3, 7 s until one passes, noting progress before each pause', async () => {
  const s = scene(4);
  const v = await pollVerification(s.read, 60_000, DEFAULT_VERIFY_BACKOFF, s.env);
  expect(v).toMatchObject({ passed: true, reads: 4 });
  expect(s.readsAt).toEqual([0, 1000, 3000, 7000]);
  expect(s.progress).toEqual([1, 2, 3].map((reads) => ({ reads, since: s.start })));
});

it('makes its last read at the end of the window and says how long it kept reading', async () => {
  const s = scene(Infinity);
  const v = await pollVerification(s.read, 60_000, DEFAULT_VERIFY_BACKOFF, s.env);
  expect(s.readsAt).toEqual([0, 1000, 3000, 7000, 15_000, 25_000, 35_000, 45_000, 55_000, 60_000]);
  expect(v).toMatchObject({ passed: false, reads: 10, detail: 'off (still so after 10 reads over 60 s)' });
});

it('reads once with no window, as the seed did after its wait', async () => {
  const s = scene(Infinity);
  const v = await pollVerification(s.read, 0, DEFAULT_VERIFY_BACKOFF, s.env);
  expect(s.readsAt).toEqual([0]);
  expect(v).toMatchObject({ passed: false, reads: 1, detail: 'off' });
});

it('stops at a conclusive failure: reading again cannot change it', async () => {
  const s = scene(Infinity, 0, 2);
  const v = await pollVerification(s.read, 60_000, DEFAULT_VERIFY_BACKOFF, s.env);
  expect(s.readsAt).toEqual([0, 1000]);
  expect(v).toMatchObject({ passed: false, reads: 2, conclusive: true });
});

it("resumes a previous attempt's window: its reads count, its end stays where it was", async () => {
  const s = scene(Infinity);
  // The previous attempt opened the window 50 s ago and made 7 reads before its worker died.
  const resumed = { reads: 7, since: s.start - 50_000 };
  const v = await pollVerification(s.read, 60_000, DEFAULT_VERIFY_BACKOFF, s.env, resumed);
  // Gaps after the 8th and 9th reads are 10 s, cut at the window's end (10 s from now).
  expect(s.readsAt).toEqual([0, 10_000]);
  expect(v).toMatchObject({ passed: false, reads: 9, detail: 'off (still so after 9 reads over 60 s)' });
  expect(s.progress).toEqual([{ reads: 8, since: resumed.since }]);
});

it('reads once more when the window ended while no worker was reading', async () => {
  const s = scene(1);
  const v = await pollVerification(s.read, 60_000, DEFAULT_VERIFY_BACKOFF, s.env, {
    reads: 3,
    since: s.start - 120_000,
  });
  expect(s.readsAt).toEqual([0]);
  expect(v).toMatchObject({ passed: true, reads: 4 });
});

it('believes only well-formed progress in heartbeat details', () => {
  expect(verifyingProgressFrom({ verifying: { reads: 2, since: 5 } })).toEqual({ reads: 2, since: 5 });
  expect(verifyingProgressFrom({ applying: 'step', verifying: { reads: 0, since: 1 } })).toEqual({
    reads: 0,
    since: 1,
  });
  for (const bad of [
    undefined,
    null,
    'x',
    { applying: 'step' },
    { verifying: null },
    { verifying: { reads: -1, since: 5 } },
    { verifying: { reads: 1.5, since: 5 } },
    { verifying: { reads: 1, since: 'now' } },
    { verifying: { reads: 1, since: Infinity } },
  ]) {
    expect(verifyingProgressFrom(bad)).toBeUndefined();
  }
});
