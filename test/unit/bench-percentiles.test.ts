/** The benchmark's percentile helper: nearest rank, so every reported percentile is an observed sample. */
import { percentile, ratio, summarize } from '../../bench/lib/percentiles';

it('takes the nearest rank: p50 of 1..10 is 5, p95 and p99 are 10', () => {
  // Prepare
  const values = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];

  // Act / Assess
  expect(percentile(values, 50)).toBe(5);
  expect(percentile(values, 95)).toBe(10);
  expect(percentile(values, 99)).toBe(10);
  expect(percentile(values, 100)).toBe(10);
  expect(percentile(values, 1)).toBe(1);
});

it('on 1..1000 gives p50 500, p95 950, p99 990 regardless of order', () => {
  const values = Array.from({ length: 1000 }, (_, i) => 1000 - i);

  const s = summarize(values);

  expect(s).toEqual({ count: 1000, min: 1, mean: 500.5, p50: 500, p95: 950, p99: 990, max: 1000 });
  expect(percentile(values, 99)).toBe(s.p99);
});

it('summarises one sample as itself and does not reorder the input', () => {
  const values = [3, 1, 2];

  expect(summarize([42])).toEqual({ count: 1, min: 42, mean: 42, p50: 42, p95: 42, p99: 42, max: 42 });
  summarize(values);
  expect(values).toEqual([3, 1, 2]);
});

it('refuses an empty sample and percentiles outside (0, 100]', () => {
  expect(() => percentile([], 50)).toThrow(RangeError);
  expect(() => summarize([])).toThrow(RangeError);
  expect(() => percentile([1], 0)).toThrow(RangeError);
  expect(() => percentile([1], 101)).toThrow(RangeError);
});

it('forms ratios to two decimals and none when the divisor is zero', () => {
  expect(ratio(1, 3)).toBe(0.33);
  expect(ratio(130, 100)).toBe(1.3);
  expect(ratio(1, 0)).toBeNull();
});
