/**
 * The process's tracer provider (docs/observability.md, Traces): off unless an OTLP endpoint is configured; then spans
 * are batched and exported over OTLP with the process's `service.name`, and registered as the global OpenTelemetry
 * provider, so every tracer the API hands out (the Temporal interceptors', the AWS call spans', the bridge's) reaches
 * it. Context follows async calls (AsyncLocalStorage) and crosses processes as W3C trace context.
 */
import { context, diag, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { Resource } from '@opentelemetry/resources';
import type { IResource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { TracingConfig } from '../config';
import type { Logger } from '../logger';
import { routeDiagnostics } from './diag-logger';
import { otlpTraceExporter } from './otlp-trace-exporter';
import { CleaningSpanProcessor } from './span-hygiene';

/** How long a stopping process waits for its last spans to be exported (an unreachable collector must not hang it). */
const SHUTDOWN_TIMEOUT_MS = 10_000;

/** A process's tracing, on or off. */
export interface Tracing {
  readonly on: boolean;
  /** What it was started with; absent when off. */
  readonly config?: TracingConfig;
  /** Where finished spans go: the batch exporter, or nowhere when off. Workflow spans reach it through a sink. */
  readonly spanProcessor: SpanProcessor;
  /** `service.name` and the SDK's own attributes, for the spans that are built outside the provider (workflows'). */
  readonly resource: IResource;
  /** Exports what is still buffered and unregisters the provider; resolves within a bounded time. */
  shutdown(): Promise<void>;
}

/** Tracing off: spans are not recorded and nothing is exported. */
export const TRACING_OFF: Tracing = {
  on: false,
  spanProcessor: new NoopSpanProcessor(),
  resource: Resource.empty(),
  shutdown: async () => undefined,
};

let current: Tracing = TRACING_OFF;

/** The tracing `startTracing` started in this process, or `TRACING_OFF`. */
export function processTracing(): Tracing {
  return current;
}

/**
 * Starts tracing when `config` is set (`loadTracingConfig`) and makes it the process's; otherwise returns
 * `TRACING_OFF`. One at a time per process: shut the running one down first.
 */
export async function startTracing(config: TracingConfig | undefined, logger?: Logger): Promise<Tracing> {
  if (!config) return TRACING_OFF;
  if (current.on) throw new Error('Tracing is already started in this process');
  if (logger) routeDiagnostics(logger);
  const resource = Resource.default().merge(new Resource({ [ATTR_SERVICE_NAME]: config.serviceName }));
  const spanProcessor = new CleaningSpanProcessor(new BatchSpanProcessor(await otlpTraceExporter(config)));
  const provider = new BasicTracerProvider({
    resource,
    mergeResourceWithDefaults: false,
    spanProcessors: [spanProcessor],
  });
  provider.register({
    contextManager: new AsyncLocalStorageContextManager().enable(),
    propagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  });
  let stopped: Promise<void> | undefined;
  const tracing: Tracing = {
    on: true,
    config,
    spanProcessor,
    resource,
    shutdown: () => (stopped ??= stop(provider, () => (current = TRACING_OFF))),
  };
  current = tracing;
  return tracing;
}

async function stop(provider: BasicTracerProvider, forget: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
  });
  try {
    // A failed last export is reported like any other (routeDiagnostics); the stop goes on regardless.
    const flushed = provider
      .shutdown()
      .catch((err: unknown) => diag.error('the last spans could not be exported', err));
    await Promise.race([flushed, timeout]);
  } finally {
    clearTimeout(timer);
    trace.disable();
    context.disable();
    propagation.disable();
    diag.disable();
    forget();
  }
}

/** Where traces go, for the start-up log line. */
export function describeTracing(tracing: Tracing): Record<string, string> {
  const { config } = tracing;
  return {
    traces: config
      ? `OTLP (${config.protocol}) to ${config.url} as ${config.serviceName}`
      : 'off (no OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_TRACES_EXPORTER=none)',
  };
}
