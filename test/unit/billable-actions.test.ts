/** The billable-action counter of the benchmark, by Temporal Cloud's published rules. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { countBillableActions } from '../../bench/lib/billable-actions';
import type { HistoryEventJson } from '../../bench/lib/billable-actions';
import { admissionUpdates } from '../../bench/lib/admission-updates';
import { costOf } from '../../bench/sections/cost';

const ev = (eventId: number, eventType: string, attrs: Record<string, unknown> = {}): HistoryEventJson => ({
  eventId: String(eventId),
  eventType: `EVENT_TYPE_${eventType}`,
  ...attrs,
});

it('counts a signal-with-start once, later signals, activities with retries, timers and updates', () => {
  const result = countBillableActions([
    ev(1, 'WORKFLOW_EXECUTION_STARTED'),
    ev(2, 'WORKFLOW_EXECUTION_SIGNALED'),
    ev(3, 'WORKFLOW_TASK_SCHEDULED'),
    ev(5, 'ACTIVITY_TASK_SCHEDULED'),
    ev(6, 'ACTIVITY_TASK_STARTED', { activityTaskStartedEventAttributes: { attempt: 3 } }),
    ev(7, 'TIMER_STARTED'),
    ev(8, 'WORKFLOW_EXECUTION_SIGNALED'),
    ev(9, 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED'),
    ev(10, 'START_CHILD_WORKFLOW_EXECUTION_INITIATED'),
  ]);
  expect(result.byKind).toEqual({
    start: 1,
    activity: 1,
    'activity retry': 2,
    timer: 1,
    signal: 1,
    update: 1,
    'child workflow': 2,
  });
  expect(result.total).toBe(9);
  expect(result.historyEvents).toBe(9);
});

it('does not count TemporalChangeVersion upserts, and counts markers once per workflow task', () => {
  const upsert = (keys: string[]) =>
    ({
      upsertWorkflowSearchAttributesEventAttributes: {
        searchAttributes: { indexedFields: Object.fromEntries(keys.map((k) => [k, {}])) },
      },
    }) as Record<string, unknown>;
  const marker = (task: number) => ({
    markerRecordedEventAttributes: { workflowTaskCompletedEventId: String(task) },
  });
  const result = countBillableActions([
    ev(1, 'WORKFLOW_EXECUTION_STARTED'),
    ev(5, 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES', upsert(['TemporalChangeVersion'])),
    ev(6, 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES', upsert(['RemediationStatus', 'TemporalChangeVersion'])),
    ev(7, 'MARKER_RECORDED', marker(4)),
    ev(8, 'MARKER_RECORDED', marker(4)),
    ev(12, 'MARKER_RECORDED', marker(11)),
  ]);
  expect(result.byKind).toEqual({ start: 1, 'search attribute upsert': 1, markers: 2 });
});

const history = (file: string): HistoryEventJson[] =>
  (
    JSON.parse(readFileSync(join(__dirname, '../replay/histories', file), 'utf8')) as {
      events: HistoryEventJson[];
    }
  ).events;

it('counts a captured S3 remediation history (the figure the benchmark reports for the committed path)', () => {
  const events = history('s3-remediated-rolled-back.json');
  const result = countBillableActions(events);
  expect(result.historyEvents).toBe(events.length);
  expect(result.byKind.start).toBe(1);
  expect(result.byKind.activity).toBe(
    events.filter((e) => e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED').length,
  );
  expect(result.total).toBeGreaterThan(result.byKind.activity ?? 0);
});

it("costs the S3 success path at 6, one under the seed's 7 state transitions", () => {
  // Signal-with-start; the run's opening (the worker's settings, for a workflow takes none from its input, and the
  // preparation, which also vets the finding); apply; conclude, which reads the fix back until it holds (no
  // propagation timer); the outcome upsert; the cool-down timer. The admission read the published controls (no
  // update) and no patch marker was written.
  const events = history('s3-remediated-rolled-back.json');
  const cost = costOf(events);
  expect(cost.byKind).toEqual({ start: 1, activity: 3, timer: 1, 'search attribute upsert': 1 });
  expect(cost.actions).toBe(6);
  const activities = events.flatMap((e) => {
    const name = (e.activityTaskScheduledEventAttributes as { activityType?: { name?: string } } | undefined)
      ?.activityType?.name;
    return name ? [name] : [];
  });
  expect(activities).toEqual(['openRemediation', 'applyStep', 'concludeRemediation']);
});

it('counts the admission update under a breaker, and none for a read of the published controls', () => {
  expect(admissionUpdates(history('s3-remediated-under-breaker.json'))).toBe(1);
  expect(admissionUpdates(history('s3-remediated-rolled-back.json'))).toBe(0);
  const counted = costOf(history('s3-remediated-under-breaker.json'));
  expect(counted.byKind['admission update']).toBe(1);
  expect(counted.byKind.markers).toBeUndefined();
});
