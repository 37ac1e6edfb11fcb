/**
 * A process's metrics set-up (docs/observability.md): the Temporal runtime installed with the exporter the settings
 * name (Prometheus or OTLP: the SDK's metrics and ours), and the recorder for what the process itself counts.
 */
import { Runtime } from '@temporalio/worker';
import type { Logger as RuntimeLogger } from '@temporalio/worker';
import type { TelemetryConfig } from '../config';
import { emfWriter } from './emf';
import type { EmfWriter } from './emf';
import { metricsRecorder, NO_METRICS } from './recorder';
import type { MetricsRecorder } from './recorder';
import { runtimeTelemetry } from './telemetry';

/** What a process emits its metrics through. */
export interface ProcessMetrics {
  readonly config: TelemetryConfig;
  readonly emf: EmfWriter;
  readonly recorder: MetricsRecorder;
  /** Whether anything is exported at all (Prometheus, OTLP or EMF). */
  readonly on: boolean;
}

/**
 * Installs the Temporal runtime (once per process, before any connection) with `logger` and the metrics exporter
 * `config` names, and returns the process's recorder.
 */
export function installRuntime(logger: RuntimeLogger, config: TelemetryConfig): ProcessMetrics {
  const telemetryOptions = runtimeTelemetry(config);
  Runtime.install({ logger, ...(telemetryOptions ? { telemetryOptions } : {}) });
  const emf = emfWriter(config.emf);
  const exported = telemetryOptions !== undefined;
  return {
    config,
    emf,
    // Without an exporter the runtime's meter drops everything; EMF alone needs no native runtime.
    recorder:
      exported || config.emf
        ? metricsRecorder(exported ? Runtime.instance().metricMeter : undefined, emf)
        : NO_METRICS,
    on: exported || config.emf,
  };
}
