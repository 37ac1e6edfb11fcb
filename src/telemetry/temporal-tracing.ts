/**
 * Temporal's OpenTelemetry interceptors wired into our clients and workers (docs/observability.md, Traces): a client
 * span for each call (signal-with-start carries its context to the workflow in the `_tracer-data` header), the
 * workflow's spans (run, signals, activity starts) made in the sandbox and handed out through the `exporter` sink, and
 * a span for each activity run, under which the AWS call spans nest. Workflow and activity log lines get `trace_id`
 * and `span_id`.
 *
 * Every workflow bundle includes the workflow interceptors (src/workflows/tracing-interceptors.ts), tracing on or
 * off, so one prebuilt bundle serves both; they trace only the runs whose start carried a trace context and add no
 * command. The sink is always registered: with tracing off it drops what a traced client's runs send it. The activity
 * and client interceptors are installed only while the process traces.
 */
import type { ClientInterceptors } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry';
import type { InjectedSinks, WorkerInterceptors } from '@temporalio/worker';
import type { Tracing } from './tracing';
import { processTracing } from './tracing';

/**
 * The workflow interceptor modules every workflow bundle includes (`bundleWorkflowCode`'s
 * `workflowInterceptorModules`, or the worker's `interceptors.workflowModules` when it bundles at start).
 */
export const WORKFLOW_INTERCEPTOR_MODULES: readonly string[] = [
  require.resolve('../workflows/tracing-interceptors'),
];

/** The sink the workflow interceptors export their spans through: the tracing's processor, or a no-op when off. */
export function workflowTracingSinks(tracing: Tracing = processTracing()): InjectedSinks<OpenTelemetrySinks> {
  if (!tracing.on) return { exporter: { export: { fn: () => undefined } } };
  return { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) };
}

/** The worker's activity interceptors: a span per activity run, its ids on the activity's log lines. None when off. */
export function activityTracingInterceptors(
  tracing: Tracing = processTracing(),
): Pick<WorkerInterceptors, 'activity'> {
  if (!tracing.on) return {};
  return {
    activity: [
      (ctx) => ({
        inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
        outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
    ],
  };
}

/** A Temporal client's interceptors: a span per workflow call, its context in the call's headers. None when off. */
export function clientTracingInterceptors(
  tracing: Tracing = processTracing(),
): ClientInterceptors | undefined {
  if (!tracing.on) return undefined;
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor()] };
}
