/**
 * What every finished span goes through before export (docs/observability.md, Traces): access key ids are redacted as
 * in our log lines (a GuardDuty key finding's workflow id carries one, and Temporal's spans name workflow ids), and
 * attribute values that are not OpenTelemetry attribute values (primitives and arrays of them) are dropped. The
 * workflow span sink copies the whole workflow info onto each workflow span: its ids, type and task queue stay, its
 * memo, search attributes and dates (objects) go.
 */
import type { Attributes, AttributeValue, Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { redactLogText } from '../logger';

type Primitive = string | number | boolean;

function isPrimitive(value: unknown): value is Primitive {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function cleanValue(value: unknown): AttributeValue | undefined {
  if (typeof value === 'string') return redactLogText(value);
  if (isPrimitive(value)) return value;
  if (!Array.isArray(value)) return undefined;
  const items = value as unknown[];
  if (!items.every((v) => v === null || v === undefined || isPrimitive(v))) return undefined;
  return items.map((v) => (typeof v === 'string' ? redactLogText(v) : v)) as AttributeValue;
}

/** The attributes that are valid attribute values, strings redacted; the count of those dropped. */
export function cleanAttributes(attributes: Attributes): { attributes: Attributes; dropped: number } {
  const kept: Attributes = {};
  let dropped = 0;
  for (const [key, value] of Object.entries(attributes)) {
    const clean = cleanValue(value);
    if (clean === undefined) {
      if (value !== undefined) dropped += 1;
    } else kept[key] = clean;
  }
  return { attributes: kept, dropped };
}

/** A copy of `span` cleaned: name and attributes redacted, failure messages and stack traces dropped. */
export function cleanSpan(span: ReadableSpan): ReadableSpan {
  const { attributes, dropped } = cleanAttributes(span.attributes);
  return {
    name: redactLogText(span.name),
    kind: span.kind,
    spanContext: () => span.spanContext(),
    ...(span.parentSpanId !== undefined ? { parentSpanId: span.parentSpanId } : {}),
    startTime: span.startTime,
    endTime: span.endTime,
    // Failure messages (Temporal's spans carry the error's message and stack) can quote an AWS request: a status
    // keeps its message only when that is an error name (as the AWS call spans set it), events their exception type.
    status:
      span.status.message !== undefined && ERROR_NAME.test(span.status.message)
        ? span.status
        : { code: span.status.code },
    attributes,
    links: span.links,
    events: span.events.map((e) =>
      e.attributes ? { ...e, attributes: withoutMessages(cleanAttributes(e.attributes).attributes) } : e,
    ),
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationLibrary: span.instrumentationLibrary,
    droppedAttributesCount: span.droppedAttributesCount + dropped,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

/** A status message that is only an error name (`NoSuchBucket`, `ApplicationFailure`), which quotes nothing. */
const ERROR_NAME = /^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/;

/** Event attributes without the exception's message and stack trace. */
function withoutMessages(attributes: Attributes): Attributes {
  const { ['exception.message']: message, ['exception.stacktrace']: stack, ...rest } = attributes;
  void message;
  void stack;
  return rest;
}

/** A span processor that hands `next` each finished span cleaned. */
export class CleaningSpanProcessor implements SpanProcessor {
  constructor(private readonly next: SpanProcessor) {}

  onStart(span: Span, parentContext: Context): void {
    this.next.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    this.next.onEnd(cleanSpan(span));
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.next.shutdown();
  }
}
