/**
 * The hold policy: a held message's retry delay doubles up to its cap, its visibility covers the delay plus a margin,
 * and no visibility ever reaches past SQS's 12 h limit from the receive (there the message is released instead).
 */
import { nextHoldStep, retryDelayMs, SQS_MAX_VISIBILITY_SECONDS } from '../../src/ingest/hold-policy';
import type { HoldPolicy } from '../../src/ingest/hold-policy';

const policy: HoldPolicy = { initialDelayMs: 1000, maxDelayMs: 60_000, marginSeconds: 60 };
const HOUR_MS = 3600 * 1000;

it('doubles the retry delay from the initial one and caps it', () => {
  expect([1, 2, 3, 4, 5, 6, 7, 8].map((a) => retryDelayMs(a, policy))).toEqual([
    1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000,
  ]);
  expect(retryDelayMs(0, policy)).toBe(1000);
  expect(retryDelayMs(10_000, policy)).toBe(60_000);
});

it('holds with a visibility of the delay plus the margin, in whole seconds', () => {
  expect(nextHoldStep(1, 0, 5000, policy)).toEqual({ kind: 'hold', delayMs: 1000, visibilitySeconds: 61 });
  expect(nextHoldStep(7, 0, 5000, policy)).toEqual({ kind: 'hold', delayMs: 60_000, visibilitySeconds: 120 });
  expect(nextHoldStep(1, 0, 0, { ...policy, initialDelayMs: 200 })).toEqual({
    kind: 'hold',
    delayMs: 200,
    visibilitySeconds: 61,
  });
});

it('never asks for a visibility reaching past 12 h from the receive; near the limit it releases with what is left', () => {
  const receivedAt = 1_000_000;
  for (let hours = 0; hours <= 12; hours += 0.25) {
    const now = receivedAt + hours * HOUR_MS;
    const step = nextHoldStep(20, receivedAt, now, policy);
    const elapsedSeconds = (now - receivedAt) / 1000;
    expect(elapsedSeconds + step.visibilitySeconds).toBeLessThanOrEqual(SQS_MAX_VISIBILITY_SECONDS);
    expect(step.visibilitySeconds).toBeGreaterThanOrEqual(0);
  }
  // Two minutes before the limit: a 120 s visibility no longer fits (a minute is kept clear): released with 60 s.
  expect(nextHoldStep(20, receivedAt, receivedAt + 12 * HOUR_MS - 120_000, policy)).toEqual({
    kind: 'release',
    visibilitySeconds: 60,
  });
  expect(nextHoldStep(20, receivedAt, receivedAt + 13 * HOUR_MS, policy)).toEqual({
    kind: 'release',
    visibilitySeconds: 0,
  });
});
