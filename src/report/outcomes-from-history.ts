/**
 * Pure: one workflow history → the records `remediator report` counts (docs/report.md). A history is the proto object
 * `client.workflow.getHandle().fetchHistory()` returns, or its JSON form as the Temporal UI and CLI export it (the
 * committed test/replay/histories/*.json).
 *
 * A remediation run holds its outcomes in several places, and any of them may be all there is (docs/architecture.md,
 * Result shape and Continue-as-new): the result of a completed run; the `carried` outcomes of the input it continued
 * as new with (at most the last 20); the input it was started with, when it continues an earlier run; and the inputs
 * of the audit, notification and conclusion activities (the only record of a cancelled run's `CANCELLED` outcome).
 * Every copy is read; `uniqueOutcomes` keeps one per outcome.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { Payload } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import { remediationWorkflowId } from '../domain/finding';
import type { OutcomeStatus } from '../domain/remediation';
import { REMEDIATION_WORKFLOW_TYPE } from '../workflows/definitions';
import { ROLLBACK_WORKFLOW_TYPE, rollbackWorkflowId } from '../workflows/rollback-definitions';

/** A history as the SDK returns it. */
export type ProtoHistory = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Where a copy of an outcome was read; when copies differ, the earlier in this list wins. */
export const OUTCOME_SOURCES = ['result', 'snapshot', 'continue-as-new', 'carried-in', 'activity'] as const;
/** Where a copy of an outcome was read. */
export type OutcomeSource = (typeof OUTCOME_SOURCES)[number];

/** Every outcome status, in the order of docs/architecture.md (Result shape). */
export const OUTCOME_STATUSES: readonly OutcomeStatus[] = [
  'REMEDIATED',
  'ESCALATED',
  'ROLLED_BACK',
  'EXEMPT',
  'DRY_RUN',
  'REJECTED',
  'NO_ACTION',
  'CANCELLED',
];

/** One handled finding, flattened to what the report needs. */
export interface OutcomeRecord {
  /** The remediation execution (every run of it shares the id). */
  readonly workflowId: string;
  /** The run whose history (or query) this copy was read from. */
  readonly runId: string;
  readonly playbook: string;
  readonly status: OutcomeStatus;
  readonly reason: string;
  readonly account: string;
  readonly region: string;
  readonly resourceType: string;
  readonly resourceId: string;
  readonly control: string;
  readonly source: string;
  readonly severity: number;
  readonly eventId: string;
  /** When the detector evaluated the resource. */
  readonly observedAt: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly verification?: { readonly passed: boolean; readonly at: string };
  readonly approval?: {
    readonly decision: 'approve' | 'reject';
    readonly by: string;
    readonly reason: string;
    readonly requestedAt: string;
    readonly decidedAt: string;
  };
  readonly escalation?: { readonly reason: string; readonly errorType?: string; readonly ticket?: string };
  /** The analysis' verdict (`cannot_fix` explains an escalation without an error type). */
  readonly verdict?: string;
  readonly seenIn: OutcomeSource;
}

/** How a rollback ended; the workflow's close status when it returned no result. */
export type RollbackStatus =
  'ROLLED_BACK' | 'REFUSED' | 'ESCALATED' | 'RUNNING' | 'FAILED' | 'CANCELED' | 'TERMINATED' | 'TIMED_OUT';

/** One operator rollback (src/workflows/rollback.ts). */
export interface RollbackRecord {
  readonly workflowId: string;
  readonly runId: string;
  /** The remediation run it undoes. */
  readonly target: { readonly workflowId: string; readonly runId: string };
  readonly status: RollbackStatus;
  readonly reason: string;
  /** Who asked (as recorded by the rollback), and why. */
  readonly requestedBy: string;
  readonly requestedReason: string;
  /** The deciders the worker verified. */
  readonly approvedBy: readonly string[];
  readonly startedAt: string;
  /** When it ended (absent while it runs). */
  readonly at?: string;
  readonly playbook?: string;
  readonly account?: string;
  readonly region?: string;
  readonly resourceType?: string;
  readonly resourceId?: string;
}

/** How a run stands at the end of its history. */
export type RunState =
  'RUNNING' | 'COMPLETED' | 'CONTINUED_AS_NEW' | 'FAILED' | 'CANCELED' | 'TERMINATED' | 'TIMED_OUT';

/** What one history yields. */
export interface HistoryRecords {
  readonly workflowType: string;
  readonly workflowId: string;
  readonly runId: string;
  readonly state: RunState;
  readonly startedAt: string;
  readonly outcomes: readonly OutcomeRecord[];
  readonly rollback?: RollbackRecord;
}

/** Who the history belongs to, and how its payloads decode. */
export interface HistoryContext {
  /** Default: derived from the input (the resource of a remediation, the target of a rollback). */
  readonly workflowId?: string;
  /** Default: the run id the started event records (`originalExecutionRunId`). */
  readonly runId?: string;
  /** Default: the SDK's default payload converter (plain JSON; decode encrypted payloads first). */
  readonly fromPayload?: (payload: Payload) => unknown;
}

/** Activities whose first argument is an audit record carrying the outcome (src/workflows/finding/outcome.ts). */
const RECORD_ACTIVITIES = new Set(['recordAudit', 'notifyOncall', 'notifyOutcome']);
/** The activity that verifies and concludes; its result carries the final outcome (src/activities/composite.ts). */
const CONCLUDE_ACTIVITY = 'concludeRemediation';

/** The history as the SDK's proto object, whichever form was given. */
export function asProtoHistory(history: unknown): ProtoHistory {
  const events = (history as { events?: unknown } | null)?.events;
  if (!Array.isArray(events)) throw new TypeError('not a workflow history: it has no events');
  const first = events[0] as { eventType?: unknown } | undefined;
  return typeof first?.eventType === 'string' ? historyFromJSON(history) : (history as ProtoHistory);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const obj = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/** Protobuf timestamps (seconds may be a Long) as ISO 8601. */
function isoTime(ts: temporal.api.history.v1.IHistoryEvent['eventTime']): string {
  if (!ts) return '';
  const seconds = Number(ts.seconds ?? 0);
  return new Date(seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1e6)).toISOString();
}

/**
 * One outcome as a record, or `undefined` when the value is not shaped like an outcome. Payloads are read
 * defensively: whoever can start a workflow can put anything in an input (docs/architecture.md, Trust model).
 */
export function outcomeRecord(
  value: unknown,
  at: { readonly workflowId: string; readonly runId: string },
  seenIn: OutcomeSource,
): OutcomeRecord | undefined {
  const o = obj(value);
  const finding = obj(o?.['finding']);
  const resource = obj(finding?.['resource']);
  const status = str(o?.['status']) as OutcomeStatus | undefined;
  const playbook = str(o?.['playbook']);
  const startedAt = str(o?.['startedAt']);
  const finishedAt = str(o?.['finishedAt']);
  if (!o || !finding || !resource || !playbook || !startedAt || !finishedAt) return undefined;
  if (!status || !OUTCOME_STATUSES.includes(status)) return undefined;
  const verification = obj(o['verification']);
  const approval = obj(o['approval']);
  const escalation = obj(o['escalation']);
  const decision = str(approval?.['decision']);
  return {
    workflowId: at.workflowId,
    runId: at.runId,
    playbook,
    status,
    reason: str(o['reason']) ?? '',
    account: str(resource['account']) ?? '',
    region: str(resource['region']) ?? '',
    resourceType: str(resource['resourceType']) ?? '',
    resourceId: str(resource['resourceId']) ?? '',
    control: str(finding['control']) ?? '',
    source: str(finding['source']) ?? '',
    severity: typeof finding['severity'] === 'number' ? finding['severity'] : 0,
    eventId: str(finding['eventId']) ?? '',
    observedAt: str(finding['observedAt']) ?? '',
    startedAt,
    finishedAt,
    ...(verification && typeof verification['passed'] === 'boolean'
      ? { verification: { passed: verification['passed'], at: str(verification['at']) ?? finishedAt } }
      : {}),
    ...(approval && (decision === 'approve' || decision === 'reject')
      ? {
          approval: {
            decision,
            by: str(approval['by']) ?? '',
            reason: str(approval['reason']) ?? '',
            requestedAt: str(approval['requestedAt']) ?? '',
            decidedAt: str(approval['decidedAt']) ?? '',
          },
        }
      : {}),
    ...(escalation
      ? {
          escalation: {
            reason: str(escalation['reason']) ?? '',
            ...(str(escalation['errorType']) ? { errorType: str(escalation['errorType']) } : {}),
            ...(str(escalation['ticket']) ? { ticket: str(escalation['ticket']) } : {}),
          },
        }
      : {}),
    ...(str(obj(o['analysis'])?.['verdict']) ? { verdict: str(obj(o['analysis'])?.['verdict']) } : {}),
    seenIn,
  };
}

/** The identity of one outcome across runs and copies: the same finding handled by the same playbook, started once. */
export function outcomeKey(o: OutcomeRecord): string {
  return [o.workflowId, o.eventId, o.control, o.playbook, o.startedAt].join('|');
}

/** One record per outcome: the copy from the most authoritative source (`OUTCOME_SOURCES` order), then the first. */
export function uniqueOutcomes(records: readonly OutcomeRecord[]): OutcomeRecord[] {
  const rank = (o: OutcomeRecord) => OUTCOME_SOURCES.indexOf(o.seenIn);
  const kept = new Map<string, OutcomeRecord>();
  for (const o of records) {
    const key = outcomeKey(o);
    const held = kept.get(key);
    if (!held || rank(o) < rank(held)) kept.set(key, o);
  }
  return [...kept.values()];
}

/** The search attributes the execution ended with: those it started with, then each upsert in order. */
function searchAttributes(events: readonly HistoryEvent[], decode: (p: Payload) => unknown) {
  const values: Record<string, unknown> = {};
  const apply = (fields: Record<string, Payload> | null | undefined) => {
    for (const [name, payload] of Object.entries(fields ?? {})) {
      try {
        values[name] = decode(payload);
      } catch {
        // A value that does not decode says nothing; the others still do.
      }
    }
  };
  for (const e of events) {
    apply(e.workflowExecutionStartedEventAttributes?.searchAttributes?.indexedFields);
    apply(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields);
  }
  const text = (name: string): string | undefined => {
    const v = values[name];
    return typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined;
  };
  return text;
}

/** How the run ended, and what its last event holds. */
function closing(last: HistoryEvent | undefined): { state: RunState; at?: string } {
  if (!last) return { state: 'RUNNING' };
  const at = isoTime(last.eventTime);
  if (last.workflowExecutionCompletedEventAttributes) return { state: 'COMPLETED', at };
  if (last.workflowExecutionContinuedAsNewEventAttributes) return { state: 'CONTINUED_AS_NEW', at };
  if (last.workflowExecutionFailedEventAttributes) return { state: 'FAILED', at };
  if (last.workflowExecutionCanceledEventAttributes) return { state: 'CANCELED', at };
  if (last.workflowExecutionTerminatedEventAttributes) return { state: 'TERMINATED', at };
  if (last.workflowExecutionTimedOutEventAttributes) return { state: 'TIMED_OUT', at };
  return { state: 'RUNNING' };
}

/** Maps one history to its run's records (see the module comment for where outcomes are read). */
export function recordsFromHistory(history: unknown, context: HistoryContext = {}): HistoryRecords {
  const events = asProtoHistory(history).events ?? [];
  const decode = context.fromPayload ?? ((p: Payload) => defaultPayloadConverter.fromPayload(p));
  const first = (payloads: readonly Payload[] | null | undefined): unknown => {
    const p = payloads?.[0];
    if (!p) return undefined;
    try {
      return decode(p);
    } catch {
      return undefined;
    }
  };
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  if (!started)
    throw new TypeError('not a workflow history: the first event is not WorkflowExecutionStarted');
  const workflowType = started.workflowType?.name ?? '';
  const input = obj(first(started.input?.payloads));
  const runId = context.runId ?? started.originalExecutionRunId ?? '';
  const startedAt = isoTime(events[0]?.eventTime);
  const { state, at: closedAt } = closing(events[events.length - 1]);
  const lastAttrs = events[events.length - 1];

  if (workflowType === ROLLBACK_WORKFLOW_TYPE) {
    const target = obj(input?.['target']);
    const targetIds = { workflowId: str(target?.['workflowId']) ?? '', runId: str(target?.['runId']) ?? '' };
    const workflowId = context.workflowId ?? rollbackWorkflowId(targetIds.workflowId, targetIds.runId);
    const result = obj(first(lastAttrs?.workflowExecutionCompletedEventAttributes?.result?.payloads));
    const attr = searchAttributes(events, decode);
    const resultStatus = str(result?.['status']);
    const status: RollbackStatus =
      resultStatus === 'ROLLED_BACK' || resultStatus === 'REFUSED' || resultStatus === 'ESCALATED'
        ? resultStatus
        : state === 'COMPLETED' || state === 'CONTINUED_AS_NEW'
          ? 'FAILED'
          : state;
    const approvedBy = result?.['approvedBy'];
    const optional = (key: string, value: string | undefined) => (value ? { [key]: value } : {});
    const rollback: RollbackRecord = {
      workflowId,
      runId,
      target: targetIds,
      status,
      reason: str(result?.['reason']) ?? (state === 'RUNNING' ? 'running' : `the rollback ended ${state}`),
      requestedBy: str(result?.['by']) ?? str(input?.['by']) ?? '',
      requestedReason: str(result?.['requestedReason']) ?? str(input?.['reason']) ?? '',
      approvedBy: Array.isArray(approvedBy)
        ? approvedBy.filter((a): a is string => typeof a === 'string')
        : [],
      startedAt,
      ...optional('at', str(result?.['at']) ?? closedAt),
      ...optional('playbook', attr('Playbook')),
      ...optional('account', attr('AwsAccount')),
      ...optional('region', attr('AwsRegion')),
      ...optional('resourceType', attr('ResourceType')),
      ...optional('resourceId', attr('ResourceId')),
    };
    return { workflowType, workflowId, runId, state, startedAt, outcomes: [], rollback };
  }

  const resource = obj(input?.['resource']);
  const derivedId =
    resource && typeof resource['resourceId'] === 'string'
      ? remediationWorkflowId({
          account: str(resource['account']) ?? '',
          region: str(resource['region']) ?? '',
          resourceType: str(resource['resourceType']) ?? '',
          resourceId: str(resource['resourceId']) ?? '',
        })
      : '';
  const workflowId = context.workflowId ?? derivedId;
  if (workflowType !== REMEDIATION_WORKFLOW_TYPE) {
    return { workflowType, workflowId, runId, state, startedAt, outcomes: [] };
  }
  const at = { workflowId, runId };
  const outcomes: OutcomeRecord[] = [];
  const take = (values: unknown, seenIn: OutcomeSource) => {
    if (!Array.isArray(values)) return;
    for (const v of values) {
      const record = outcomeRecord(v, at, seenIn);
      if (record) outcomes.push(record);
    }
  };
  // A run believes carried outcomes only when it really continues another (src/workflows/remediation.ts): so does
  // the report.
  if (started.continuedExecutionRunId) take(obj(input?.['carried'])?.['outcomes'], 'carried-in');
  const scheduled = new Map<string, string>();
  for (const e of events) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) {
      const type = s.activityType?.name ?? '';
      scheduled.set(String(e.eventId), type);
      if (RECORD_ACTIVITIES.has(type)) take([obj(first(s.input?.payloads))?.['outcome']], 'activity');
    }
    const done = e.activityTaskCompletedEventAttributes;
    if (done && scheduled.get(String(done.scheduledEventId)) === CONCLUDE_ACTIVITY) {
      take([obj(first(done.result?.payloads))?.['outcome']], 'activity');
    }
  }
  take(
    obj(first(lastAttrs?.workflowExecutionCompletedEventAttributes?.result?.payloads))?.['outcomes'],
    'result',
  );
  const next = obj(first(lastAttrs?.workflowExecutionContinuedAsNewEventAttributes?.input?.payloads));
  take(obj(next?.['carried'])?.['outcomes'], 'continue-as-new');
  return { workflowType, workflowId, runId, state, startedAt, outcomes: uniqueOutcomes(outcomes) };
}
