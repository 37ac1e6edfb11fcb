/**
 * A process's telemetry around its work (docs/observability.md): the Temporal runtime with the metrics exporter the
 * settings name, installed before any native connection; tracing, started before any Temporal or AWS client exists
 * so their calls are traced, and shut down last so the final spans are exported. The worker, the ingest, `dev` and
 * `demo` each run inside it.
 */
import type { Logger as RuntimeLogger } from '@temporalio/worker';
import { loadTelemetryConfig, loadTracingConfig } from '../config';
import type { Logger } from '../logger';
import { installRuntime } from '../metrics/process-metrics';
import type { ProcessMetrics } from '../metrics/process-metrics';
import { startTracing } from './tracing';
import type { Tracing } from './tracing';

/** Runs `work` with the process's metrics and tracing (spans as `serviceName`); tracing is shut down after it. */
export async function withProcessTelemetry<T>(
  serviceName: string,
  runtimeLogger: RuntimeLogger,
  logger: Logger,
  work: (metrics: ProcessMetrics, tracing: Tracing) => Promise<T>,
): Promise<T> {
  // Both settings are read before anything starts, so a malformed one stops the process at once.
  const tracingConfig = loadTracingConfig(serviceName);
  const metrics = installRuntime(runtimeLogger, loadTelemetryConfig());
  const tracing = await startTracing(tracingConfig, logger);
  try {
    return await work(metrics, tracing);
  } finally {
    await tracing.shutdown();
  }
}
