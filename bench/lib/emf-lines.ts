/**
 * Counting the EMF lines a worker process writes on stdout (docs/dashboards.md: with `METRICS_EMF=true` each
 * CloudWatch metric is one JSON line there). The child's log listener (bench/lib/children.ts) already drains the pipe;
 * this one only reads the same chunks, so the worker never blocks on a full stdout.
 */
import type { Readable } from 'node:stream';
import { METRICS } from '../../src/metrics/catalogue';

/** The CloudWatch name of `remediator_remediations_total`, from the catalogue (the contract). */
const REMEDIATIONS = METRICS.remediations.cloudWatch?.name ?? 'Remediations';

/** Counts so far. */
export interface EmfCounts {
  /** Lines that are EMF objects (JSON with `_aws.CloudWatchMetrics`). */
  readonly lines: number;
  /** The sum of the values of `remediator_remediations_total` (CloudWatch name `Remediations`) in them. */
  readonly remediations: number;
}

/** A counter of EMF lines on a stream. */
export interface EmfCounter {
  /** The counts since the counter started. */
  counts(): EmfCounts;
}

/** True for a parsed line that is an EMF object. */
function isEmf(
  value: unknown,
): value is Record<string, unknown> & { _aws: { CloudWatchMetrics: unknown[] } } {
  if (typeof value !== 'object' || value === null) return false;
  const aws = (value as { _aws?: { CloudWatchMetrics?: unknown } })._aws;
  return Array.isArray(aws?.CloudWatchMetrics);
}

/** Starts counting the EMF lines of `stdout` (lines split across chunks are joined first). */
export function countEmfLines(stdout: Readable): EmfCounter {
  let partial = '';
  let lines = 0;
  let remediations = 0;
  stdout.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      // The writer puts `_aws` first (src/metrics/emf.ts), so anything else is not worth parsing.
      if (!line.startsWith('{"_aws"')) continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        continue;
      }
      if (!isEmf(value)) continue;
      lines += 1;
      const counted = value[REMEDIATIONS];
      if (typeof counted === 'number') remediations += counted;
    }
  });
  return { counts: () => ({ lines, remediations }) };
}
