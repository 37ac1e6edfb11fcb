/**
 * What the benchmark asks Temporal: visibility counts (polled sparingly so they do not load the server), pollers on a
 * task queue, and histories as JSON (the format `temporal workflow show --output json` writes), read after a run.
 */
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import type { HistoryEventJson } from './billable-actions';
import { sleep } from './progress';

/** Executions matching a visibility query. */
export async function countWorkflows(client: Client, query: string): Promise<number> {
  return (await client.workflow.count(query)).count;
}

/** Polls `probe` every `intervalMs` until it returns true; throws after `timeoutMs` with `what`. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 1000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s: ${what}`);
    await sleep(intervalMs);
  }
}

/** True when the task queue has workflow and activity pollers (a worker is ready). */
export async function hasPollers(client: Client, taskQueue: string): Promise<boolean> {
  const { TaskQueueType } = temporal.api.enums.v1;
  const ask = async (taskQueueType: number) =>
    client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue },
      taskQueueType,
    });
  const [wf, act] = await Promise.all([
    ask(TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
    ask(TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
  ]);
  return (wf.pollers?.length ?? 0) > 0 && (act.pollers?.length ?? 0) > 0;
}

/** One execution's history as JSON events (latest run unless `runId`). */
export async function historyJson(
  client: Client,
  workflowId: string,
  runId?: string,
): Promise<HistoryEventJson[]> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  return (JSON.parse(historyToJSON(history)) as { events: HistoryEventJson[] }).events;
}

/** Milliseconds since the epoch of an event's server-recorded time. */
export function eventTimeMs(event: HistoryEventJson): number {
  return Date.parse(String(event.eventTime));
}

/** Decodes a JSON payload in a history event (a search attribute's value, a result). */
export function payloadValue(payload: unknown): unknown {
  const data = (payload as { data?: string } | undefined)?.data;
  if (!data) return undefined;
  try {
    return JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Server time (ms) at which the execution upserted `RemediationStatus = status`, or undefined. */
export function statusReachedAt(events: readonly HistoryEventJson[], status: string): number | undefined {
  for (const event of events) {
    if (!event.eventType.endsWith('UPSERT_WORKFLOW_SEARCH_ATTRIBUTES')) continue;
    const fields = (
      event.upsertWorkflowSearchAttributesEventAttributes as
        { searchAttributes?: { indexedFields?: Record<string, unknown> } } | undefined
    )?.searchAttributes?.indexedFields;
    if (fields && payloadValue(fields.RemediationStatus) === status) return eventTimeMs(event);
  }
  return undefined;
}

/**
 * Where the time goes inside executions: for each activity type, scheduled → completed (queueing on the task queue,
 * the activity, and reporting back), and for workflow tasks, scheduled → completed; in ms, per occurrence, only up to
 * `until(events)` when given.
 */
export function stepDurations(
  histories: readonly HistoryEventJson[][],
  until?: (events: readonly HistoryEventJson[]) => number | undefined,
): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  const add = (name: string, ms: number): void => {
    (out[name] ??= []).push(ms);
  };
  for (const events of histories) {
    const end = until?.(events) ?? Number.POSITIVE_INFINITY;
    const byId = new Map(events.map((e) => [String(e.eventId), e]));
    for (const e of events) {
      const t = eventTimeMs(e);
      if (t > end) break;
      const type = e.eventType.replace(/^EVENT_TYPE_/, '');
      const attrs = (e.activityTaskCompletedEventAttributes ??
        e.activityTaskFailedEventAttributes ??
        e.workflowTaskCompletedEventAttributes) as { scheduledEventId?: string } | undefined;
      const scheduled = attrs?.scheduledEventId ? byId.get(String(attrs.scheduledEventId)) : undefined;
      if (!scheduled) continue;
      if (type === 'WORKFLOW_TASK_COMPLETED') {
        add('workflow task', t - eventTimeMs(scheduled));
      } else {
        const name = (scheduled.activityTaskScheduledEventAttributes as { activityType?: { name?: string } })
          ?.activityType?.name;
        add(name ?? 'activity', t - eventTimeMs(scheduled));
      }
    }
  }
  return out;
}
