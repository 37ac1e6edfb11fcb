/**
 * Percentiles by the nearest-rank method (the smallest sample such that at least p % of the samples are ≤ it), so a
 * reported p99 is always a latency that was really observed. Pure: no clock, no I/O.
 */

/** Summary of a sample of numbers (milliseconds in the benchmark). */
export interface Summary {
  readonly count: number;
  readonly min: number;
  readonly mean: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** The nearest-rank `p`-th percentile (0 < p ≤ 100) of `values` (any order). Throws on an empty sample. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of an empty sample');
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** Count, min, mean, p50, p95, p99 and max of a non-empty sample. */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new RangeError('summary of an empty sample');
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number): number => sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] as number;
  return {
    count: sorted.length,
    min: sorted[0] as number,
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    p50: at(50),
    p95: at(95),
    p99: at(99),
    max: sorted[sorted.length - 1] as number,
  };
}

/** `a / b` rounded to `digits` decimals, or null when `b` is 0 (a ratio that cannot be formed). */
export function ratio(a: number, b: number, digits = 2): number | null {
  if (b === 0 || !Number.isFinite(a) || !Number.isFinite(b)) return null;
  const f = 10 ** digits;
  return Math.round((a / b) * f) / f;
}
