/**
 * The metrics of code outside workflows (the ingest, the worker's pollers and activities): each emission goes to the
 * Temporal runtime's meter (Prometheus or OTLP, when on) and, for the catalogue's CloudWatch metrics, to EMF.
 */
import type { MetricMeter } from '@temporalio/common';
import type { LabelsOf, MetricKey } from './catalogue';
import type { EmfWriter } from './emf';
import { NO_EMF } from './emf';
import { CatalogueMeter } from './meters';

/** Records catalogue metrics. */
export interface MetricsRecorder {
  record<K extends MetricKey>(key: K, labels: LabelsOf<K>, value?: number): void;
}

/** A recorder over `meter` (none: EMF only) and `emf`. */
export function metricsRecorder(meter: MetricMeter | undefined, emf: EmfWriter = NO_EMF): MetricsRecorder {
  const catalogueMeter = meter ? new CatalogueMeter(meter) : undefined;
  return {
    record(key, labels, value = 1) {
      catalogueMeter?.emit(key, labels, value);
      emf.write([{ key, labels, value }]);
    },
  };
}

/** Records nothing (tests and callers that were given no recorder). */
export const NO_METRICS: MetricsRecorder = { record() {} };
