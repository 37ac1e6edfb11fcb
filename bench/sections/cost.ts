/**
 * Section 4, cost per remediation: history events and Temporal Cloud billable actions of every playbook's success
 * path, from the histories captured from real runs (test/replay/histories, not the `before-*` ones) and, for the S3
 * path, from live histories (the latency section's, or a small live run of its own). Each remediation also costs one
 * accepted update on the control workflow (its admission), billed there and added here.
 */
import { readFileSync } from 'node:fs';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { join } from 'node:path';
import { PLAYBOOKS } from '../../src/domain/playbooks';
import { countBillableActions } from '../lib/billable-actions';
import type { HistoryEventJson } from '../lib/billable-actions';
import type { BenchContext } from '../lib/stack';
import { statusReachedAt } from '../lib/temporal';
import { liveS3Sample } from './latency';
import type { LatencyData, LiveCost } from './latency';
import { admissionUpdates } from '../lib/admission-updates';

/** The success path of each playbook in the committed histories (approval paths where a playbook has one). */
const SUCCESS_PATHS: ReadonlyArray<{ playbook: string; path: string; file: string }> = [
  { playbook: 's3-block-public-access', path: 'success', file: 's3-remediated-rolled-back.json' },
  { playbook: 'ebs-encryption-by-default', path: 'success', file: 'ebs-encryption-remediated.json' },
  { playbook: 'ec2-enforce-imdsv2', path: 'success', file: 'imdsv2-remediated.json' },
  { playbook: 'ec2-enforce-imdsv2', path: 'approved, then success', file: 'imdsv2-approved-remediated.json' },
  { playbook: 'sg-close-admin-ports', path: 'success (split range)', file: 'sg-split-range-remediated.json' },
  { playbook: 'ec2-isolate-instance', path: 'success', file: 'isolate-instance-remediated.json' },
  {
    playbook: 'iam-contain-access-key',
    path: 'success (long-term key)',
    file: 'iam-access-key-remediated.json',
  },
  {
    playbook: 'iam-contain-access-key',
    path: 'role sessions, approved, then success',
    file: 'iam-role-sessions-approved-remediated.json',
  },
  { playbook: 'ec2-instance-recovery', path: 'success (recover action)', file: 'recovery-remediated.json' },
  { playbook: 'asg-scale-out', path: 'success', file: 'scale-out-remediated.json' },
];

/**
 * The seed's Step Functions state transitions on the same path, where the seed had the path and its count is known:
 * the S3 success path is 7. Everything else is `n/a`.
 */
const SEED_TRANSITIONS: Readonly<Record<string, number>> = { 's3-block-public-access/success': 7 };

/** The kinds in the order the table shows them. */
const KINDS = [
  'start',
  'signal',
  'activity',
  'activity retry',
  'timer',
  'search attribute upsert',
  'markers',
  'admission update',
  'update',
  'child workflow',
] as const;

/** One row of the cost table. */
export interface CostRow {
  readonly playbook: string;
  readonly path: string;
  readonly source: string;
  readonly historyEvents: number;
  readonly actions: number;
  readonly byKind: Readonly<Record<string, number>>;
  /** Activities that were retried, with how often (e.g. a write-back moto does not implement). */
  readonly retried: Readonly<Record<string, number>>;
  readonly seedTransitions: number | 'n/a';
}

/**
 * What 1,000 S3 remediations cost on Temporal Cloud, from the committed S3 success history: actions, and the storage
 * its history holds while the execution stays open in its cool-down (active) and once closed (retained).
 */
export interface OpenExecutionCost {
  /** The history's size as the server stores it (protobuf-encoded events), bytes. */
  readonly historyBytes: number;
  /** Billable actions per remediation: the history's, plus one heartbeat per applied step (no history event). */
  readonly actionsPerRemediation: number;
  /** Active storage held per 1,000 remediations, GB-hours, for each cool-down (minutes). */
  readonly activeGbHours: ReadonlyArray<{ readonly cooldownMinutes: number; readonly gbHours: number }>;
  /** Retained storage per 1,000 remediations over the retention period, GB-hours. */
  readonly retainedGbHours: { readonly retentionDays: number; readonly gbHours: number };
}

/** What the section reports. */
export interface CostData {
  readonly rows: readonly CostRow[];
  readonly s3Target: number;
  readonly live?: LiveCost & { readonly source: string };
  readonly openExecution?: OpenExecutionCost;
}

/** Cool-downs shown (minutes): 5, the default 15, an hour, a day. */
const COOLDOWNS_MINUTES = [5, 15, 60, 1440] as const;
/** Temporal Cloud's default namespace retention. */
const RETENTION_DAYS = 30;
/**
 * Temporal Cloud list rates at the time of writing (docs.temporal.io/cloud/pricing): $25 per million actions (the base
 * rate; plans and credits change it), active storage $0.042 and retained $0.00105 per GB-hour. Shown only to turn
 * the quantities into an order of magnitude; the quantities are what the bench measures.
 */
const RATES = { perMillionActions: 25, activePerGbHour: 0.042, retainedPerGbHour: 0.00105 } as const;

/** The protobuf-encoded size of a history (what Temporal stores and bills as storage). */
export function historyBytes(json: unknown): number {
  return temporal.api.history.v1.History.encode(historyFromJSON(json)).finish().length;
}

/** What 1,000 remediations of `events` (`bytes` of history, `actions` each) hold and cost. */
function openExecutionCost(bytes: number, actions: number): OpenExecutionCost {
  const gb = (bytes * 1000) / 1e9;
  return {
    historyBytes: bytes,
    actionsPerRemediation: actions,
    activeGbHours: COOLDOWNS_MINUTES.map((m) => ({ cooldownMinutes: m, gbHours: gb * (m / 60) })),
    retainedGbHours: { retentionDays: RETENTION_DAYS, gbHours: gb * RETENTION_DAYS * 24 },
  };
}

type Attrs = { activityType?: { name?: string }; attempt?: number; scheduledEventId?: string };

function retriedActivities(events: readonly HistoryEventJson[]): Record<string, number> {
  const names = new Map<string, string>();
  const out: Record<string, number> = {};
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes as Attrs | undefined;
    if (scheduled) names.set(String(e.eventId), scheduled.activityType?.name ?? '?');
    const started = e.activityTaskStartedEventAttributes as Attrs | undefined;
    if (started && (started.attempt ?? 1) > 1) {
      const name = names.get(String(started.scheduledEventId)) ?? '?';
      out[name] = (out[name] ?? 0) + (started.attempt ?? 1) - 1;
    }
  }
  return out;
}

/** Costs one history, the admission update included. */
export function costOf(
  events: readonly HistoryEventJson[],
): Omit<CostRow, 'playbook' | 'path' | 'source' | 'seedTransitions'> {
  const counted = countBillableActions(events);
  const admitted = admissionUpdates(events);
  return {
    historyEvents: counted.historyEvents,
    actions: counted.total + admitted,
    byKind: { ...counted.byKind, ...(admitted ? { 'admission update': admitted } : {}) },
    retried: retriedActivities(events),
  };
}

/** Runs the section; `latency` is this run's latency result, when it ran. */
export async function runCost(ctx: BenchContext, latency?: LatencyData): Promise<CostData> {
  const dir = join(ctx.root, 'test/replay/histories');
  let openExecution: OpenExecutionCost | undefined;
  const rows: CostRow[] = SUCCESS_PATHS.map(({ playbook, path, file }) => {
    const json = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { events: HistoryEventJson[] };
    const { events } = json;
    if (statusReachedAt(events, 'REMEDIATED') === undefined)
      throw new Error(`${file} never reached REMEDIATED`);
    const cost = costOf(events);
    if (playbook === 's3-block-public-access' && path === 'success') {
      // Its one applied step heartbeats once (the mark before the change): an action with no history event.
      openExecution = openExecutionCost(historyBytes(json), cost.actions + 1);
    }
    return {
      playbook,
      path,
      source: `test/replay/histories/${file}`,
      ...cost,
      seedTransitions: SEED_TRANSITIONS[`${playbook}/${path}`] ?? 'n/a',
    };
  });
  const missing = Object.keys(PLAYBOOKS).filter((id) => !rows.some((r) => r.playbook === id));
  if (missing.length > 0) throw new Error(`no committed success-path history for ${missing.join(', ')}`);
  const live = latency
    ? {
        ...latency.liveCost,
        source: `latency section of this run (${latency.liveCost.executions} executions)`,
      }
    : { ...(await liveS3Sample(ctx, 20)), source: 'a live run of 20 S3 remediations at 20/s (cost section)' };
  return { rows, s3Target: 6, live, ...(openExecution ? { openExecution } : {}) };
}

const dollars = (v: number): string => (v < 0.01 ? `$${v.toFixed(4)}` : `$${v.toFixed(2)}`);

/** Markdown for the open-execution cost: actions and storage per 1,000 remediations. */
function renderOpenExecution(o: OpenExecutionCost): string {
  const actions = o.actionsPerRemediation * 1000;
  const actionCost = (actions / 1e6) * RATES.perMillionActions;
  return [
    `**What 1,000 S3 remediations cost on Temporal Cloud** (the committed success history: ${o.historyBytes.toLocaleString('en-US')} bytes encoded; ${o.actionsPerRemediation} actions each, the apply step's heartbeat included):`,
    '',
    `| per 1,000 remediations | quantity | at list rates |`,
    `| --- | ---: | ---: |`,
    `| actions | ${actions.toLocaleString('en-US')} | ${dollars(actionCost)} |`,
    ...o.activeGbHours.map(
      (a) =>
        `| active storage, cool-down ${a.cooldownMinutes >= 60 ? `${a.cooldownMinutes / 60} h` : `${a.cooldownMinutes} min`}${a.cooldownMinutes === 15 ? ' (default)' : ''} | ${a.gbHours.toPrecision(3)} GB-h | ${dollars(a.gbHours * RATES.activePerGbHour)} |`,
    ),
    `| retained storage, ${o.retainedGbHours.retentionDays} days after closing | ${o.retainedGbHours.gbHours.toPrecision(3)} GB-h | ${dollars(o.retainedGbHours.gbHours * RATES.retainedPerGbHour)} |`,
    '',
    `List rates at the time of writing: $${RATES.perMillionActions} per million actions (base rate), $${RATES.activePerGbHour} per GB-hour active, $${RATES.retainedPerGbHour} retained; plans include allowances and credits lower them, so read the quantities. ` +
      'The cool-down is close to free in storage: a day of it costs less than the actions of one remediation. What it changes is the repeats: ' +
      'a repeat finding that reaches the open execution is one action (its signal), while one after the cool-down starts a new run ' +
      "(a start, `openRemediation`, an upsert and a timer at least, more when it acts). Queries are billed too (an operator's `remediator status`).",
  ].join('\n');
}

const kindCell = (byKind: Readonly<Record<string, number>>, kind: string): string =>
  String(byKind[kind] ?? 0);

/** Markdown for the section. */
export function renderCost(d: CostData): string {
  const header = `| playbook | path | history events | **billable actions** | ${KINDS.join(' | ')} | seed state transitions |`;
  const rule = `| --- | --- | ---: | ---: | ${KINDS.map(() => '---:').join(' | ')} | ---: |`;
  const rows = d.rows.map(
    (r) =>
      `| ${r.playbook} | ${r.path} | ${r.historyEvents} | **${r.actions}** | ${KINDS.map((k) => kindCell(r.byKind, k)).join(' | ')} | ${r.seedTransitions} |`,
  );
  const lines = [header, rule, ...rows];
  if (d.live) {
    lines.push(
      `| s3-block-public-access | success, **live** (median of ${d.live.executions}; range ${d.live.actions.min}–${d.live.actions.max}) | ${d.live.historyEventsOfMedian} | **${d.live.actions.p50}** | ${KINDS.map((k) => kindCell(d.live?.byKind ?? {}, k)).join(' | ')} | 7 |`,
    );
  }
  const retried = d.rows
    .filter((r) => Object.keys(r.retried).length > 0)
    .map(
      (r) =>
        `${r.playbook} (${Object.entries(r.retried)
          .map(([a, n]) => `${a} ×${n}`)
          .join(', ')})`,
    );
  // Both the committed S3 history and the live ones run the default policy's verification window: no durable wait.
  const s3 = d.rows.find((r) => r.playbook === 's3-block-public-access')?.actions;
  return [
    ...lines,
    '',
    `S3 success path with the default policy (verification reads the fix back within its window, no durable wait): ` +
      `**${s3 ?? 'n/a'}** billable actions per remediation (target ≤ ${d.s3Target}; the seed's state transitions: 7; ` +
      `${s3 !== undefined && s3 <= d.s3Target ? 'meets' : 'misses'})` +
      (d.live ? `; live: ${d.live.actions.p50}. ` : '. ') +
      'Heartbeats are billed as well but leave no history event, so they are not in these counts: the verifying ' +
      'activity sends none when its first read passes (one at once when a read fails, then at most one per 80 % of ' +
      'its heartbeat timeout), and each applied step sends one, the mark that it is about to change the resource. ' +
      `Retried activities in the committed histories: ${retried.join('; ') || 'none'} (the report to the detector ` +
      `runs inside \`concludeRemediation\`, once: a call moto lacks is recorded as not reported, not retried). ` +
      `Live source: ${d.live?.source ?? 'none'}. "admission update" is the accepted update on \`remediation-control/<taskQueue>\`, billed on that workflow. ` +
      `The seed's count is known for the S3 success path only; other rows are n/a.`,
    ...(d.openExecution ? ['', renderOpenExecution(d.openExecution)] : []),
  ].join('\n');
}
