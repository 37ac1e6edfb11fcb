/**
 * The workflow interceptors every workflow bundle includes (docs/observability.md, Traces): Temporal's OpenTelemetry
 * interceptors, for the runs whose start carried a trace context (the `_tracer-data` header a traced client puts on
 * signal-with-start, or a traced run on its continue-as-new and children). Such a run gets its spans (the run, its
 * signals, each activity start), and its activities and log lines get its trace.
 *
 * A run started without one (tracing off at the client, a schedule, an operator's start) never builds a tracer: it
 * makes no span and calls no sink, so a worker with tracing off pays nothing for the interceptors in its bundle. Its
 * traced signals, if a traced client sends some, still get spans. What is traced follows from the history's headers,
 * so a replay decides as the first run did; the spans add no command.
 */
import type * as OpenTelemetryWorkflow from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type {
  ActivityInput,
  ContinueAsNewInput,
  DisposeInput,
  GetLogAttributesInput,
  Headers,
  LocalActivityInput,
  Next,
  QueryInput,
  SignalInput,
  SignalWorkflowInput,
  StartChildWorkflowExecutionInput,
  UpdateInput,
  WorkflowExecuteInput,
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptors,
  WorkflowInternalsInterceptor,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

/** The header Temporal's OpenTelemetry interceptors carry the trace context in. */
const TRACE_HEADER = '_tracer-data';

/** Temporal's interceptors of one run, built on its first traced call. */
interface Traced {
  readonly inbound: OpenTelemetryWorkflow.OpenTelemetryInboundInterceptor;
  readonly outbound: OpenTelemetryWorkflow.OpenTelemetryOutboundInterceptor;
  readonly internals: OpenTelemetryWorkflow.OpenTelemetryInternalsInterceptor;
}

/**
 * Temporal's OpenTelemetry workflow module, loaded on a run's first traced call: the sandbox gives each run its own
 * module state, so every run that loads OpenTelemetry evaluates it anew, which a run that is not traced never does.
 */
function openTelemetryWorkflow(): typeof OpenTelemetryWorkflow {
  // A synchronous require (webpack bundles it, evaluates it on call): an `await import()` would add a yield point.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@temporalio/interceptors-opentelemetry/lib/workflow') as typeof OpenTelemetryWorkflow;
}

function carriesTrace(headers: Headers): boolean {
  return headers[TRACE_HEADER] !== undefined;
}

/** The interceptors of one workflow run. */
export const interceptors = (): WorkflowInterceptors => {
  let traced: Traced | undefined;
  const trace = (): Traced => {
    if (traced) return traced;
    const otel = openTelemetryWorkflow();
    traced = {
      inbound: new otel.OpenTelemetryInboundInterceptor(),
      outbound: new otel.OpenTelemetryOutboundInterceptor(),
      internals: new otel.OpenTelemetryInternalsInterceptor(),
    };
    return traced;
  };
  /** Temporal's interceptors when the run is traced or this call brings a trace context. */
  const tracedFor = (headers: Headers): Traced | undefined =>
    traced ?? (carriesTrace(headers) ? trace() : undefined);

  const inbound: WorkflowInboundCallsInterceptor = {
    execute: (input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>) => {
      const otel = tracedFor(input.headers);
      return otel ? otel.inbound.execute(input, next) : next(input);
    },
    handleSignal: (input: SignalInput, next: Next<WorkflowInboundCallsInterceptor, 'handleSignal'>) => {
      const otel = tracedFor(input.headers);
      return otel ? otel.inbound.handleSignal(input, next) : next(input);
    },
    handleUpdate: (input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'handleUpdate'>) => {
      const otel = tracedFor(input.headers);
      return otel ? otel.inbound.handleUpdate(input, next) : next(input);
    },
    validateUpdate: (input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'validateUpdate'>) => {
      // A validator runs again on replay without its history: only a run already traced traces it.
      return traced ? traced.inbound.validateUpdate(input, next) : next(input);
    },
    handleQuery: (input: QueryInput, next: Next<WorkflowInboundCallsInterceptor, 'handleQuery'>) => {
      return traced ? traced.inbound.handleQuery(input, next) : next(input);
    },
  };

  const outbound: WorkflowOutboundCallsInterceptor = {
    scheduleActivity: (
      input: ActivityInput,
      next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>,
    ) => (traced ? traced.outbound.scheduleActivity(input, next) : next(input)),
    scheduleLocalActivity: (
      input: LocalActivityInput,
      next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>,
    ) => (traced ? traced.outbound.scheduleLocalActivity(input, next) : next(input)),
    startChildWorkflowExecution: (
      input: StartChildWorkflowExecutionInput,
      next: Next<WorkflowOutboundCallsInterceptor, 'startChildWorkflowExecution'>,
    ) => (traced ? traced.outbound.startChildWorkflowExecution(input, next) : next(input)),
    continueAsNew: (
      input: ContinueAsNewInput,
      next: Next<WorkflowOutboundCallsInterceptor, 'continueAsNew'>,
    ) => (traced ? traced.outbound.continueAsNew(input, next) : next(input)),
    signalWorkflow: (
      input: SignalWorkflowInput,
      next: Next<WorkflowOutboundCallsInterceptor, 'signalWorkflow'>,
    ) => (traced ? traced.outbound.signalWorkflow(input, next) : next(input)),
    getLogAttributes: (
      input: GetLogAttributesInput,
      next: Next<WorkflowOutboundCallsInterceptor, 'getLogAttributes'>,
    ) => (traced ? traced.outbound.getLogAttributes(input, next) : next(input)),
  };

  const internals: WorkflowInternalsInterceptor = {
    dispose: (input: DisposeInput, next: Next<WorkflowInternalsInterceptor, 'dispose'>): void => {
      // Temporal's is declared async but finishes synchronously (it disables the run's context manager, then goes on).
      if (traced) void traced.internals.dispose(input, next);
      else next(input);
    },
  };

  return { inbound: [inbound], outbound: [outbound], internals: [internals] };
};
