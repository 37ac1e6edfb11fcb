/**
 * The Temporal runtime's metrics exporter from the telemetry settings (docs/observability.md). The runtime serves the
 * SDK's own metrics (task-queue latency, sticky cache, activity failures) and ours, from workflow code (its workflow
 * meter), activities and the process, on one Prometheus endpoint or one OTLP export.
 */
import type { RuntimeOptions } from '@temporalio/worker';
import type { TelemetryConfig } from '../config';
import { histogramBuckets } from './catalogue';

/** How often metrics go to an OTLP collector. */
const OTLP_EXPORT_INTERVAL_MS = 10_000;

/** `telemetryOptions` for `Runtime.install`, or `undefined` when neither Prometheus nor OTLP is on. */
export function runtimeTelemetry(
  config: TelemetryConfig,
  otlpExportIntervalMs = OTLP_EXPORT_INTERVAL_MS,
): RuntimeOptions['telemetryOptions'] {
  const histogramBucketOverrides = histogramBuckets();
  if (config.prometheus) {
    const { host, port } = config.prometheus;
    return {
      metrics: {
        prometheus: {
          bindAddress: `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`,
          histogramBucketOverrides,
        },
      },
    };
  }
  if (config.otlp) {
    return {
      metrics: {
        otel: {
          url: config.otlp.url,
          http: config.otlp.protocol === 'http/protobuf',
          metricsExportInterval: otlpExportIntervalMs,
          histogramBucketOverrides,
        },
      },
    };
  }
  return undefined;
}

/** Where metrics go, for the start-up log line. */
export function describeTelemetry(config: TelemetryConfig): Record<string, string> {
  return {
    metrics: config.prometheus
      ? `Prometheus on http://${config.prometheus.host}:${config.prometheus.port}/metrics`
      : config.otlp
        ? `OTLP (${config.otlp.protocol}) to ${config.otlp.url}`
        : 'off (METRICS_PORT and OTEL_EXPORTER_OTLP_ENDPOINT are not set)',
    emf: config.emf ? 'on (stdout)' : 'off',
  };
}
