/**
 * Temporal Cloud billable actions of one execution, counted from its event history by the rules Temporal publishes
 * (docs.temporal.io/cloud/actions): a start or signal-with-start is one action; each signal, activity schedule and
 * retry, timer, search-attribute upsert (except TemporalChangeVersion), accepted update, and child start (two) counts.
 * Markers count once per workflow task that records any (conservative: version markers are counted too). Queries and
 * heartbeats leave no history event and are not counted here.
 */

/** The shape of a history event as `temporal workflow show --output json` and the SDK's `historyToJSON` write it. */
export interface HistoryEventJson {
  readonly eventId: string | number;
  readonly eventType: string;
  readonly [key: string]: unknown;
}

/** Actions by category, and their sum. */
export interface BillableActions {
  readonly total: number;
  readonly byKind: Readonly<Record<string, number>>;
  readonly historyEvents: number;
}

const type = (e: HistoryEventJson): string => e.eventType.replace(/^EVENT_TYPE_/, '');

/** Counts the billable actions in one run's history. */
export function countBillableActions(events: readonly HistoryEventJson[]): BillableActions {
  const byKind: Record<string, number> = {};
  const add = (kind: string, n = 1): void => {
    if (n > 0) byKind[kind] = (byKind[kind] ?? 0) + n;
  };
  const markerTasks = new Set<string>();
  for (const event of events) {
    switch (type(event)) {
      case 'WORKFLOW_EXECUTION_STARTED':
        add('start');
        break;
      case 'WORKFLOW_EXECUTION_SIGNALED':
        // The signal of a signal-with-start is written right after the start and is part of its one action.
        if (Number(event.eventId) !== 2) add('signal');
        break;
      case 'ACTIVITY_TASK_SCHEDULED':
        add('activity');
        break;
      case 'ACTIVITY_TASK_STARTED': {
        const attempt = Number(
          (event.activityTaskStartedEventAttributes as { attempt?: number } | undefined)?.attempt ?? 1,
        );
        add('activity retry', attempt - 1);
        break;
      }
      case 'TIMER_STARTED':
        add('timer');
        break;
      case 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES': {
        const fields = (
          event.upsertWorkflowSearchAttributesEventAttributes as
            { searchAttributes?: { indexedFields?: Record<string, unknown> } } | undefined
        )?.searchAttributes?.indexedFields;
        const keys = Object.keys(fields ?? {});
        if (keys.some((k) => k !== 'TemporalChangeVersion')) add('search attribute upsert');
        break;
      }
      case 'MARKER_RECORDED': {
        const task = (
          event.markerRecordedEventAttributes as { workflowTaskCompletedEventId?: string } | undefined
        )?.workflowTaskCompletedEventId;
        markerTasks.add(String(task ?? event.eventId));
        break;
      }
      case 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED':
        add('update');
        break;
      case 'START_CHILD_WORKFLOW_EXECUTION_INITIATED':
        add('child workflow', 2);
        break;
      case 'WORKFLOW_EXECUTION_OPTIONS_UPDATED':
        add('options update');
        break;
      case 'NEXUS_OPERATION_SCHEDULED':
      case 'NEXUS_OPERATION_CANCEL_REQUESTED':
        add('nexus');
        break;
      default:
        break;
    }
  }
  add('markers', markerTasks.size);
  const total = Object.values(byKind).reduce((a, b) => a + b, 0);
  return { total, byKind, historyEvents: events.length };
}
