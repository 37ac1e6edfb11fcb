/**
 * The ids of the active span, for log lines (docs/observability.md, Traces): a line written while a traced message,
 * workflow or activity is being handled names the trace and span it belongs to, so logs and traces can be joined.
 */
import { isSpanContextValid, trace } from '@opentelemetry/api';

/** `trace_id` and `span_id` of the active span, or nothing when none is active (or tracing is off). */
export function activeTraceFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const ids = span.spanContext();
  return isSpanContextValid(ids) ? { trace_id: ids.traceId, span_id: ids.spanId } : {};
}
