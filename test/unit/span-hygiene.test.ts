/**
 * What leaves the process in a span (docs/observability.md, Traces): access key ids redacted as in the logs, and
 * only valid attribute values (the workflow sink copies whole objects onto workflow spans).
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Resource } from '@opentelemetry/resources';
import { cleanAttributes, cleanSpan } from '../../src/telemetry/span-hygiene';

const KEY = 'AKIAIOSFODNN7EXAMPLE';

function span(overrides: Partial<ReadableSpan>): ReadableSpan {
  const context = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };
  return {
    name: 'RunWorkflow:remediationWorkflow',
    kind: SpanKind.INTERNAL,
    spanContext: () => context,
    parentSpanId: '00f067aa0ba902b7',
    startTime: [1, 0],
    endTime: [2, 0],
    status: { code: SpanStatusCode.OK },
    attributes: {},
    links: [],
    events: [],
    duration: [1, 0],
    ended: true,
    resource: Resource.empty(),
    instrumentationLibrary: { name: 'test' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
    ...overrides,
  };
}

it('keeps primitives and arrays of them, redacting access key ids, and drops objects', () => {
  const { attributes, dropped } = cleanAttributes({
    workflowId: `remediation/123456789012/us-east-1/AWS::IAM::AccessKey/${KEY}`,
    attempt: 1,
    continueAsNewSuggested: false,
    tags: ['a', KEY],
    memo: { a: 1 } as never,
    startTime: new Date() as never,
    missing: undefined,
  });
  expect(attributes).toEqual({
    workflowId: 'remediation/123456789012/us-east-1/AWS::IAM::AccessKey/AKIA****MPLE',
    attempt: 1,
    continueAsNewSuggested: false,
    tags: ['a', 'AKIA****MPLE'],
  });
  expect(dropped).toBe(2);
});

it('cleans the name, drops failure messages and stacks, and keeps the ids, links and exception types', () => {
  const original = span({
    name: `StartActivity:${KEY}`,
    status: { code: SpanStatusCode.ERROR, message: `access key ${KEY} is disabled` },
    attributes: { memo: { x: 1 } as never, runId: 'r' },
    events: [
      {
        name: 'exception',
        time: [1, 5],
        attributes: {
          'exception.type': 'AccessDenied',
          'exception.message': `key ${KEY}`,
          'exception.stacktrace': 'at send (client.js:1)',
        },
      },
    ],
    droppedAttributesCount: 3,
  });
  const clean = cleanSpan(original);
  expect(clean.name).toBe('StartActivity:AKIA****MPLE');
  // A failure message can quote the request: the status keeps its code only, unless the message is an error name.
  expect(clean.status).toEqual({ code: SpanStatusCode.ERROR });
  const named = cleanSpan(span({ status: { code: SpanStatusCode.ERROR, message: 'NoSuchBucket' } }));
  expect(named.status).toEqual({ code: SpanStatusCode.ERROR, message: 'NoSuchBucket' });
  expect(clean.attributes).toEqual({ runId: 'r' });
  expect(clean.events[0]?.attributes).toEqual({ 'exception.type': 'AccessDenied' });
  expect(clean.droppedAttributesCount).toBe(4);
  expect(clean.spanContext()).toEqual(original.spanContext());
  expect([clean.parentSpanId, clean.startTime, clean.endTime, clean.kind]).toEqual([
    original.parentSpanId,
    original.startTime,
    original.endTime,
    original.kind,
  ]);
});
