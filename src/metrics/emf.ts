/**
 * CloudWatch Embedded Metric Format (docs/observability.md): a metric as one JSON log line that CloudWatch Logs turns
 * into a metric, with no API call. Only catalogue metrics with a `cloudWatch` entry go this way, under their
 * CloudWatch names and with the dimension sets the stacks' dashboard queries.
 */
import { CLOUDWATCH_NAMESPACE, DIMENSION_NAMES, METRICS } from './catalogue';
import type { LabelsOf, MetricKey } from './catalogue';

/** One metric value with its labels, as the code emits it (for a union of keys, each key with its own labels). */
export type EmfEntry<K extends MetricKey = MetricKey> = K extends MetricKey
  ? { readonly key: K; readonly labels: LabelsOf<K>; readonly value: number }
  : never;

/** The EMF object for `entries` at `timestampMs`, or `undefined` when none of them goes to CloudWatch. */
export function emfRecord(
  entries: readonly EmfEntry[],
  timestampMs: number,
): Record<string, unknown> | undefined {
  const directives: Record<string, unknown>[] = [];
  const fields: Record<string, unknown> = {};
  for (const { key, labels, value } of entries) {
    const cloudWatch = METRICS[key].cloudWatch;
    if (!cloudWatch) continue;
    for (const [label, labelValue] of Object.entries(labels as Readonly<Record<string, string>>)) {
      const dimension = DIMENSION_NAMES[label as keyof typeof DIMENSION_NAMES];
      if (dimension !== undefined) fields[dimension] = labelValue;
    }
    fields[cloudWatch.name] = value;
    directives.push({
      Namespace: CLOUDWATCH_NAMESPACE,
      Dimensions: cloudWatch.dimensionSets.map((set) => [...set]),
      Metrics: [{ Name: cloudWatch.name, Unit: cloudWatch.unit }],
    });
  }
  if (directives.length === 0) return undefined;
  return { _aws: { Timestamp: timestampMs, CloudWatchMetrics: directives }, ...fields };
}

/** Writes EMF lines, or drops them when EMF is off. */
export interface EmfWriter {
  readonly enabled: boolean;
  write(entries: readonly EmfEntry[], timestampMs?: number): void;
}

/** An EMF writer to `out` (stdout: the log driver ships it to CloudWatch Logs), on when `enabled`. */
export function emfWriter(
  enabled: boolean,
  out: (line: string) => void = (line) => process.stdout.write(line),
): EmfWriter {
  return {
    enabled,
    write(entries, timestampMs = Date.now()) {
      if (!enabled) return;
      const record = emfRecord(entries, timestampMs);
      if (record) out(`${JSON.stringify(record)}\n`);
    },
  };
}

/** EMF off. */
export const NO_EMF: EmfWriter = emfWriter(false);
