/**
 * Reads what `remediator report` counts from Temporal (docs/report.md): lists the remediation and rollback runs of the
 * window from visibility, fetches each run's history (a bounded number at a time), decodes encrypted payloads with the
 * client's codecs, and maps each with `recordsFromHistory`. A running remediation is also asked for its `status`
 * snapshot, which holds the outcomes it has so far; when no worker answers, its history alone is used and a warning
 * says so.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { RemediationSnapshot } from '../domain/remediation';
import { REMEDIATION_WORKFLOW_TYPE, statusQuery } from '../workflows/definitions';
import { ROLLBACK_WORKFLOW_TYPE } from '../workflows/rollback-definitions';
import { outcomeRecord, recordsFromHistory, uniqueOutcomes } from './outcomes-from-history';
import type { OutcomeRecord, ProtoHistory, RollbackRecord } from './outcomes-from-history';

/** What the collector gathered. */
export interface Collected {
  readonly outcomes: readonly OutcomeRecord[];
  readonly rollbacks: readonly RollbackRecord[];
  /** Runs read (one history each) and distinct executions they belong to. */
  readonly runs: number;
  readonly executions: number;
  /** Running remediations whose `status` query answered. */
  readonly queried: number;
  /** What could not be read, one line each (the report shows them). */
  readonly warnings: readonly string[];
}

/** How to collect. */
export interface CollectOptions {
  /** Runs that started, closed or still run at or after this time are read. */
  readonly since: Date;
  /** Histories fetched at once (default 8). */
  readonly concurrency?: number;
  /** How long a running execution's `status` query may take (default 5 s). */
  readonly queryTimeoutMs?: number;
  /** At most this many runs are read (default 10,000); past it a warning says the report is partial. */
  readonly maxRuns?: number;
}

/**
 * The visibility query: both workflow types, every run that was open at some moment of the window (started in it,
 * closed in it, or still running). Only a time this code formats is spliced in.
 */
export function windowQuery(since: Date): string {
  const at = since.toISOString();
  const types = [REMEDIATION_WORKFLOW_TYPE, ROLLBACK_WORKFLOW_TYPE].map((t) => `'${t}'`).join(', ');
  return `WorkflowType IN (${types}) AND (StartTime >= '${at}' OR CloseTime >= '${at}' OR ExecutionStatus = 'Running')`;
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the order of `items`. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return results;
}

/** Payload lists of an event that the mapper reads, so the codecs only decode those. */
function readPayloadLists(e: NonNullable<ProtoHistory['events']>[number]) {
  return [
    e.workflowExecutionStartedEventAttributes?.input,
    e.workflowExecutionCompletedEventAttributes?.result,
    e.workflowExecutionContinuedAsNewEventAttributes?.input,
    e.activityTaskScheduledEventAttributes?.input,
    e.activityTaskCompletedEventAttributes?.result,
  ].filter((p): p is { payloads: Payload[] } => Array.isArray(p?.payloads) && p.payloads.length > 0);
}

/**
 * Decodes, in place, the payloads the mapper reads, with the codecs in reverse order (as the SDK does): histories come
 * from the server as stored, encrypted where payload encryption is on (docs/deployment.md).
 */
export async function decodeHistory(history: ProtoHistory, codecs: readonly PayloadCodec[]): Promise<void> {
  if (codecs.length === 0) return;
  for (const e of history.events ?? []) {
    for (const list of readPayloadLists(e)) {
      let payloads = list.payloads;
      for (const codec of [...codecs].reverse()) payloads = await codec.decode(payloads);
      list.payloads = payloads;
    }
  }
}

/** The runs of the window, as visibility lists them. */
async function listRuns(client: Client, since: Date, maxRuns: number) {
  const runs: WorkflowExecutionInfo[] = [];
  let truncated = false;
  for await (const execution of client.workflow.list({ query: windowQuery(since) })) {
    if (runs.length >= maxRuns) {
      truncated = true;
      break;
    }
    runs.push(execution);
  }
  return { runs, truncated };
}

/** Collects the records of every remediation and rollback run of the window. */
export async function collect(client: Client, options: CollectOptions): Promise<Collected> {
  const maxRuns = options.maxRuns ?? 10_000;
  const { runs, truncated } = await listRuns(client, options.since, maxRuns);
  const warnings: string[] = truncated
    ? [`more than ${maxRuns} runs in the window: only ${maxRuns} read`]
    : [];
  const codecs = client.options.loadedDataConverter.payloadCodecs;
  const queryTimeoutMs = options.queryTimeoutMs ?? 5000;
  let queried = 0;

  const read = async (run: WorkflowExecutionInfo) => {
    const handle = client.workflow.getHandle(run.workflowId, run.runId);
    const at = { workflowId: run.workflowId, runId: run.runId };
    let history: ProtoHistory;
    try {
      history = await handle.fetchHistory();
      await decodeHistory(history, codecs);
    } catch (err) {
      warnings.push(`${run.workflowId} (run ${run.runId}): history not read: ${(err as Error).message}`);
      return undefined;
    }
    const records = recordsFromHistory(history, at);
    if (run.type !== REMEDIATION_WORKFLOW_TYPE || run.status.name !== 'RUNNING') return records;
    try {
      const snapshot = await client.connection.withDeadline(Date.now() + queryTimeoutMs, () =>
        handle.query<RemediationSnapshot>(statusQuery),
      );
      queried += 1;
      const fromSnapshot = (snapshot.outcomes ?? [])
        .map((o) => outcomeRecord(o, at, 'snapshot'))
        .filter((o): o is OutcomeRecord => o !== undefined);
      return { ...records, outcomes: [...records.outcomes, ...fromSnapshot] };
    } catch (err) {
      warnings.push(
        `${run.workflowId}: running, its status query did not answer (${(err as Error).message}); outcomes from its history only`,
      );
      return records;
    }
  };

  const all = (await mapBounded(runs, options.concurrency ?? 8, read)).filter((r) => r !== undefined);
  return {
    outcomes: uniqueOutcomes(all.flatMap((r) => r.outcomes)),
    rollbacks: all.flatMap((r) => (r.rollback ? [r.rollback] : [])),
    runs: all.length,
    executions: new Set(all.map((r) => r.workflowId)).size,
    queried,
    warnings,
  };
}
