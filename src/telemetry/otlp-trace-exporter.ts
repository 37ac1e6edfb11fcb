/**
 * The OTLP span exporter for the configured protocol (docs/observability.md, Traces). Each exporter package is loaded
 * only when chosen: a process with tracing off, or on another protocol, does not load it. Headers, timeout and
 * compression come from the OpenTelemetry variables (`OTEL_EXPORTER_OTLP_HEADERS`, …), which the exporter reads itself.
 */
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { TracingConfig } from '../config';

/** An exporter that sends spans to `config.url` over `config.protocol`. */
export async function otlpTraceExporter(config: TracingConfig): Promise<SpanExporter> {
  switch (config.protocol) {
    case 'http/protobuf': {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
      return new OTLPTraceExporter({ url: config.url });
    }
    case 'http/json': {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
      return new OTLPTraceExporter({ url: config.url });
    }
    case 'grpc': {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-grpc');
      return new OTLPTraceExporter({ url: config.url });
    }
  }
}
