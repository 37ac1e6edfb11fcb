/**
 * The worker side of the workflows' metrics sink (src/workflows/metrics.ts): EMF lines on stdout when EMF is on. The
 * Prometheus and OTLP side needs no sink: the workflow meter goes through the Temporal runtime.
 */
import type { InjectedSinks } from '@temporalio/worker';
import type { MetricsSinks } from '../workflows/metrics';
import type { EmfWriter } from './emf';

/** The sinks to register on the worker. */
export function metricsSinks(emf: EmfWriter): InjectedSinks<MetricsSinks> {
  return {
    remediatorMetrics: {
      emf: {
        fn: (_info, entries, timestampMs) => emf.write(entries, timestampMs),
        // Replays already wrote their lines when the history was first made.
        callDuringReplay: false,
      },
    },
  };
}
