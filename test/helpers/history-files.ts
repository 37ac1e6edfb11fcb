/**
 * The committed histories of test/replay/histories read the plain way, without the SDK or src/report: JSON events,
 * base64 JSON payloads. The report's tests derive their expected numbers from this, independently of the code under
 * test (the types below only describe the JSON; nothing here computes what the report computes).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Outcome } from '../../src/domain/remediation';
import type { ResourceRef } from '../../src/domain/finding';

/** Where the committed histories are. */
export const HISTORIES_DIR = join(__dirname, '../replay/histories');

/** A payload as the JSON export writes it. */
export interface JsonPayload {
  readonly metadata?: Record<string, string>;
  readonly data?: string;
}

interface Payloads {
  payloads?: JsonPayload[];
}

/** One event as the JSON export has it (only what the tests read). */
export interface JsonEvent {
  eventId: string;
  eventType: string;
  eventTime?: string;
  workflowExecutionStartedEventAttributes?: {
    workflowType: { name: string };
    input?: Payloads;
    continuedExecutionRunId?: string;
  };
  workflowExecutionCompletedEventAttributes?: { result?: Payloads };
  activityTaskScheduledEventAttributes?: { activityType?: { name: string }; input?: Payloads };
  [attributes: string]: unknown;
}

/** A history file's JSON. */
export interface JsonHistory {
  events: JsonEvent[];
}

/** A history file: its name and its JSON. */
export interface HistoryFile {
  readonly name: string;
  readonly json: JsonHistory;
}

/** Every committed history, sorted by file name. */
export function historyFiles(): HistoryFile[] {
  return readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((name) => ({
      name,
      json: JSON.parse(readFileSync(join(HISTORIES_DIR, name), 'utf8')) as JsonHistory,
    }));
}

/** A JSON payload's value, as the caller says it is shaped. */
export function payloadValue<T>(payload: JsonPayload | undefined): T | undefined {
  return payload?.data === undefined
    ? undefined
    : (JSON.parse(Buffer.from(payload.data, 'base64').toString()) as T);
}

/** A payload as the JSON export writes it. */
export function jsonPayload(value: unknown): JsonPayload {
  return {
    metadata: { encoding: Buffer.from('json/plain').toString('base64') },
    data: Buffer.from(JSON.stringify(value)).toString('base64'),
  };
}

/** The workflow type a history file is of. */
export function workflowTypeOf(file: HistoryFile): string {
  return file.json.events[0]?.workflowExecutionStartedEventAttributes?.workflowType.name ?? '';
}

/** The first input of the run (a remediation's `{ resource, ... }`, a rollback's request). */
export function startedInput(file: HistoryFile): { resource: ResourceRef } & Record<string, unknown> {
  const input = payloadValue<{ resource: ResourceRef } & Record<string, unknown>>(
    file.json.events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0],
  );
  if (!input) throw new Error(`${file.name} has no input`);
  return input;
}

/** The result of a completed run, if it completed. */
export function resultOf<T>(file: HistoryFile): T | undefined {
  const last = file.json.events[file.json.events.length - 1];
  return payloadValue<T>(last?.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0]);
}

/** The outcomes of the run: its result's, or for a run without a result the audit records' (cancelled runs). */
export function plainOutcomes(file: HistoryFile): Outcome[] {
  const result = resultOf<{ outcomes?: Outcome[] }>(file);
  if (result?.outcomes) return result.outcomes;
  const audited = file.json.events
    .map((e) => e.activityTaskScheduledEventAttributes)
    .filter((a) => a?.activityType?.name === 'recordAudit')
    .map((a) => payloadValue<{ outcome?: Outcome }>(a?.input?.payloads?.[0])?.outcome)
    .filter((o): o is Outcome => o !== undefined);
  const seen = new Set<string>();
  return audited.filter((o) => {
    const key = `${o.finding.eventId}|${o.startedAt}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
