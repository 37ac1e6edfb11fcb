/**
 * Metrics from workflow code (docs/observability.md): through the SDK's workflow meter, which emits nothing while a
 * history replays, and a sink that writes the CloudWatch metrics as EMF lines (sinks are not called during replay
 * either). Emitting adds no command to the history, so it changes nothing a replay checks.
 */
import { metricMeter, proxySinks } from '@temporalio/workflow';
import type { Sinks } from '@temporalio/workflow';
import type { EmfEntry } from '../metrics/emf';
import type { LabelsOf, MetricKey } from '../metrics/catalogue';
import { CatalogueMeter } from '../metrics/meters';

/** The worker-side sink behind the EMF lines (`metricsSinks` in src/metrics/metrics-sinks.ts). */
export interface MetricsSinks extends Sinks {
  remediatorMetrics: {
    /** Writes `entries` as one EMF line stamped with the workflow's time. */
    emf(entries: EmfEntry[], timestampMs: number): void;
  };
}

const { remediatorMetrics } = proxySinks<MetricsSinks>();
let meter: CatalogueMeter | undefined;

/** One metric value with its labels (for a union of keys, a union of values: each key with its own labels). */
export type MetricValue<K extends MetricKey = MetricKey> = K extends MetricKey
  ? { readonly key: K; readonly labels: LabelsOf<K>; readonly value?: number }
  : never;

/** Emits catalogue metrics from workflow code: to the workflow meter, and the CloudWatch ones as one EMF line. */
export function emitMetrics(values: readonly MetricValue[]): void {
  if (values.length === 0) return;
  meter ??= new CatalogueMeter(metricMeter);
  const entries: EmfEntry[] = [];
  for (const each of values) {
    const value = each.value ?? 1;
    meter.emit(each.key, each.labels as LabelsOf<MetricKey>, value);
    entries.push({ ...each, value });
  }
  remediatorMetrics.emf(entries, Date.now());
}

/** The typed form of one metric value (so its labels are checked against the catalogue). */
export function metric<K extends MetricKey>(key: K, labels: LabelsOf<K>, value?: number): MetricValue<K> {
  return (value === undefined ? { key, labels } : { key, labels, value }) as MetricValue<K>;
}
