/**
 * Section 4, cost per remediation: history events and Temporal Cloud billable actions of every playbook's success
 * path, from the histories captured from real runs (test/replay/histories, not the `before-*` ones) and, for the S3
 * path, from live histories (the latency section's, or a small live run of its own). Each remediation also costs one
 * accepted update on the control workflow (its admission), billed there and added here.
 */
import { readFileSync } from 'node:fs';
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

/** What the section reports. */
export interface CostData {
  readonly rows: readonly CostRow[];
  readonly s3Target: number;
  readonly live?: LiveCost & { readonly source: string };
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
  const rows: CostRow[] = SUCCESS_PATHS.map(({ playbook, path, file }) => {
    const events = (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { events: HistoryEventJson[] })
      .events;
    if (statusReachedAt(events, 'REMEDIATED') === undefined)
      throw new Error(`${file} never reached REMEDIATED`);
    return {
      playbook,
      path,
      source: `test/replay/histories/${file}`,
      ...costOf(events),
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
  return { rows, s3Target: 6, live };
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
  ].join('\n');
}
