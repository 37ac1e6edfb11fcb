/**
 * Pure: outcome and rollback records → the report (docs/report.md): counts by status and playbook, time to remediate
 * per playbook (p50/p90), escalations grouped by reason code, the busiest accounts and resources, the approval
 * decisions with who decided, and the operator rollbacks. The shape is the `--json` output: keep it stable.
 */
import type { OutcomeStatus } from '../domain/remediation';
import { OUTCOME_STATUSES, uniqueOutcomes } from './outcomes-from-history';
import type { OutcomeRecord, RollbackRecord, RollbackStatus } from './outcomes-from-history';

/** The `schema` value of this shape; a change that breaks readers gets a new one. */
export const REPORT_SCHEMA = 'remediator.report/v1';

/** How the report states its percentile definition (also in docs/report.md). */
export const PERCENTILE_DEFINITION =
  'nearest rank: the p-th percentile of n sorted samples is the sample at rank ceil(p/100 * n), so it is always an observed value';

/** How the report states what it measures as time to remediate. */
export const MTTR_DEFINITION =
  'verification.at (or finishedAt) minus finding.observedAt, over REMEDIATED outcomes whose verification passed';

/** Every rollback status, for a stable `byStatus`. */
export const ROLLBACK_STATUSES: readonly RollbackStatus[] = [
  'ROLLED_BACK',
  'REFUSED',
  'ESCALATED',
  'RUNNING',
  'FAILED',
  'CANCELED',
  'TERMINATED',
  'TIMED_OUT',
];

/** Distribution of durations in milliseconds. */
export interface DurationStats {
  readonly count: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly minMs: number;
  readonly maxMs: number;
}

/** One playbook's line. */
export interface PlaybookSummary {
  readonly playbook: string;
  readonly outcomes: number;
  readonly byStatus: Readonly<Record<OutcomeStatus, number>>;
  /** Time to remediate; `null` when no outcome of the window qualifies. */
  readonly mttr: DurationStats | null;
  /** Operator rollbacks of this playbook's remediations that restored the resource. */
  readonly rolledBackByOperator: number;
}

/** Escalations that share a reason code. */
export interface EscalationGroup {
  /** The escalation's error type (AccessDenied, ApprovalTimeout, …), `CannotFix` for an analysis that said so. */
  readonly code: string;
  readonly count: number;
  readonly playbooks: readonly string[];
  /** Up to three distinct reasons, newest first. */
  readonly examples: readonly {
    readonly reason: string;
    readonly playbook: string;
    readonly resourceId: string;
    readonly workflowId: string;
    readonly finishedAt: string;
  }[];
}

/** Outcome counts of one account or resource. */
export interface Tally {
  readonly outcomes: number;
  readonly remediated: number;
  readonly escalated: number;
}

/** One approval decision. */
export interface ApprovalItem {
  readonly workflowId: string;
  readonly playbook: string;
  readonly resourceId: string;
  readonly decision: 'approve' | 'reject';
  readonly by: string;
  readonly reason: string;
  readonly requestedAt: string;
  readonly decidedAt: string;
  /** decidedAt minus requestedAt (null when either is missing). */
  readonly waitedMs: number | null;
  /** The outcome the remediation ended with. */
  readonly status: OutcomeStatus;
}

/** One operator rollback. */
export interface RollbackItem {
  readonly workflowId: string;
  readonly target: { readonly workflowId: string; readonly runId: string };
  readonly playbook: string | null;
  readonly resourceId: string | null;
  readonly status: RollbackStatus;
  readonly requestedBy: string;
  readonly requestedReason: string;
  readonly approvedBy: readonly string[];
  readonly startedAt: string;
  readonly at: string | null;
  readonly reason: string;
}

/** The report (`--json` prints it as is). */
export interface Report {
  readonly schema: typeof REPORT_SCHEMA;
  readonly window: { readonly since: string; readonly until: string };
  readonly totals: {
    readonly outcomes: number;
    /** Distinct remediation executions (resources) with an outcome in the window. */
    readonly resources: number;
    readonly byStatus: Readonly<Record<OutcomeStatus, number>>;
    readonly rollbacks: number;
  };
  readonly mttr: {
    readonly definition: string;
    readonly percentile: string;
    readonly overall: DurationStats | null;
  };
  readonly playbooks: readonly PlaybookSummary[];
  readonly escalations: { readonly total: number; readonly byReason: readonly EscalationGroup[] };
  readonly topAccounts: readonly (Tally & { readonly account: string })[];
  readonly topResources: readonly (Tally & {
    readonly workflowId: string;
    readonly account: string;
    readonly region: string;
    readonly resourceType: string;
    readonly resourceId: string;
  })[];
  readonly approvals: {
    readonly decided: number;
    readonly approved: number;
    readonly rejected: number;
    readonly byDecider: readonly {
      readonly by: string;
      readonly approved: number;
      readonly rejected: number;
    }[];
    readonly decisions: readonly ApprovalItem[];
  };
  readonly rollbacks: {
    readonly total: number;
    readonly byStatus: Readonly<Record<RollbackStatus, number>>;
    readonly items: readonly RollbackItem[];
  };
  /** What was read: runs and executions, running ones whose query answered, and what could not be read. */
  readonly sources: {
    readonly runs: number;
    readonly executions: number;
    readonly queried: number;
    readonly warnings: readonly string[];
  };
}

/** What to summarise. */
export interface SummariseInput {
  readonly outcomes: readonly OutcomeRecord[];
  readonly rollbacks: readonly RollbackRecord[];
  readonly runs?: number;
  readonly executions?: number;
  readonly queried?: number;
  readonly warnings?: readonly string[];
}

/** The window and the length of the top lists. */
export interface SummariseOptions {
  readonly since: Date;
  readonly until: Date;
  /** Length of the top accounts and resources lists (default 10). */
  readonly top?: number;
}

/** The p-th percentile of `values` by nearest rank (see `PERCENTILE_DEFINITION`); `values` must not be empty. */
export function nearestRank(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('no samples');
  if (!(p > 0 && p <= 100)) throw new RangeError('the percentile must be in (0, 100]');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil((p / 100) * sorted.length) - 1] as number;
}

/** Count, p50, p90, min and max of `values`, or `null` for none. */
export function durationStats(values: readonly number[]): DurationStats | null {
  if (values.length === 0) return null;
  return {
    count: values.length,
    p50Ms: nearestRank(values, 50),
    p90Ms: nearestRank(values, 90),
    minMs: Math.min(...values),
    maxMs: Math.max(...values),
  };
}

/**
 * Time to remediate one outcome in milliseconds, or `undefined` when it does not count (see `MTTR_DEFINITION`). A
 * detector clock ahead of ours can make it negative: that is a fix within no measurable time, counted as 0.
 */
export function remediationMs(o: OutcomeRecord): number | undefined {
  if (o.status !== 'REMEDIATED' || o.verification?.passed !== true) return undefined;
  const ms = Date.parse(o.verification.at || o.finishedAt) - Date.parse(o.observedAt);
  return Number.isFinite(ms) ? Math.max(0, ms) : undefined;
}

/** The reason code an escalation is grouped by. */
export function reasonCode(o: OutcomeRecord): string {
  if (o.escalation?.errorType) return o.escalation.errorType;
  return o.verdict === 'cannot_fix' ? 'CannotFix' : 'Unclassified';
}

const zeroStatuses = (): Record<OutcomeStatus, number> =>
  Object.fromEntries(OUTCOME_STATUSES.map((s) => [s, 0])) as Record<OutcomeStatus, number>;

const inWindow = (at: string, since: number, until: number): boolean => {
  const t = Date.parse(at);
  return t >= since && t <= until;
};

const byCountThenName =
  <T>(count: (t: T) => number, name: (t: T) => string) =>
  (a: T, b: T): number =>
    count(b) - count(a) || name(a).localeCompare(name(b));

function tally(list: readonly OutcomeRecord[]): Tally {
  return {
    outcomes: list.length,
    remediated: list.filter((o) => o.status === 'REMEDIATED').length,
    escalated: list.filter((o) => o.status === 'ESCALATED').length,
  };
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function escalationGroups(escalated: readonly OutcomeRecord[]): EscalationGroup[] {
  return [...groupBy(escalated, reasonCode)]
    .map(([code, list]) => {
      const newest = [...list].sort((a, b) => b.finishedAt.localeCompare(a.finishedAt));
      const seen = new Set<string>();
      const examples = newest
        .filter((o) => {
          const reason = o.escalation?.reason ?? o.reason;
          if (seen.has(reason)) return false;
          seen.add(reason);
          return true;
        })
        .slice(0, 3)
        .map((o) => ({
          reason: o.escalation?.reason ?? o.reason,
          playbook: o.playbook,
          resourceId: o.resourceId,
          workflowId: o.workflowId,
          finishedAt: o.finishedAt,
        }));
      return {
        code,
        count: list.length,
        playbooks: [...new Set(list.map((o) => o.playbook))].sort(),
        examples,
      };
    })
    .sort(
      byCountThenName<EscalationGroup>(
        (g) => g.count,
        (g) => g.code,
      ),
    );
}

function approvals(outcomes: readonly OutcomeRecord[]): Report['approvals'] {
  const decisions: ApprovalItem[] = outcomes
    .flatMap((o) => (o.approval ? [{ o, a: o.approval }] : []))
    .map(({ o, a }) => {
      const waited = Date.parse(a.decidedAt) - Date.parse(a.requestedAt);
      return {
        workflowId: o.workflowId,
        playbook: o.playbook,
        resourceId: o.resourceId,
        decision: a.decision,
        by: a.by,
        reason: a.reason,
        requestedAt: a.requestedAt,
        decidedAt: a.decidedAt,
        waitedMs: Number.isFinite(waited) ? waited : null,
        status: o.status,
      };
    })
    .sort((a, b) => a.decidedAt.localeCompare(b.decidedAt));
  const byDecider = [...groupBy(decisions, (d) => d.by)]
    .map(([by, list]) => ({
      by,
      approved: list.filter((d) => d.decision === 'approve').length,
      rejected: list.filter((d) => d.decision === 'reject').length,
    }))
    .sort(
      byCountThenName(
        (d) => d.approved + d.rejected,
        (d) => d.by,
      ),
    );
  return {
    decided: decisions.length,
    approved: decisions.filter((d) => d.decision === 'approve').length,
    rejected: decisions.filter((d) => d.decision === 'reject').length,
    byDecider,
    decisions,
  };
}

function rollbackItems(rollbacks: readonly RollbackRecord[]): Report['rollbacks'] {
  const byStatus = Object.fromEntries(ROLLBACK_STATUSES.map((s) => [s, 0])) as Record<RollbackStatus, number>;
  for (const r of rollbacks) byStatus[r.status] += 1;
  const items: RollbackItem[] = [...rollbacks]
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt))
    .map((r) => ({
      workflowId: r.workflowId,
      target: r.target,
      playbook: r.playbook ?? null,
      resourceId: r.resourceId ?? null,
      status: r.status,
      requestedBy: r.requestedBy,
      requestedReason: r.requestedReason,
      approvedBy: r.approvedBy,
      startedAt: r.startedAt,
      at: r.at ?? null,
      reason: r.reason,
    }));
  return { total: rollbacks.length, byStatus, items };
}

/** Summarises the records of the window `[since, until]` (an outcome by when it finished, a rollback by when it ended). */
export function summarise(input: SummariseInput, options: SummariseOptions): Report {
  const since = options.since.getTime();
  const until = options.until.getTime();
  const top = options.top ?? 10;
  const outcomes = uniqueOutcomes(input.outcomes).filter((o) => inWindow(o.finishedAt, since, until));
  // A rollback still running has no end: it counts when it started in the window.
  const rollbacks = input.rollbacks.filter((r) => inWindow(r.at ?? r.startedAt, since, until));

  const byStatus = zeroStatuses();
  for (const o of outcomes) byStatus[o.status] += 1;

  const playbooks: PlaybookSummary[] = [...groupBy(outcomes, (o) => o.playbook)]
    .map(([playbook, list]) => {
      const counts = zeroStatuses();
      for (const o of list) counts[o.status] += 1;
      return {
        playbook,
        outcomes: list.length,
        byStatus: counts,
        mttr: durationStats(list.flatMap((o) => remediationMs(o) ?? [])),
        rolledBackByOperator: rollbacks.filter((r) => r.playbook === playbook && r.status === 'ROLLED_BACK')
          .length,
      };
    })
    .sort(
      byCountThenName<PlaybookSummary>(
        (p) => p.outcomes,
        (p) => p.playbook,
      ),
    );

  const escalated = outcomes.filter((o) => o.status === 'ESCALATED');
  const topAccounts = [...groupBy(outcomes, (o) => o.account)]
    .map(([account, list]) => ({ account, ...tally(list) }))
    .sort(
      byCountThenName(
        (a) => a.outcomes * 1e6 + a.escalated,
        (a) => a.account,
      ),
    )
    .slice(0, top);
  const topResources = [...groupBy(outcomes, (o) => o.workflowId)]
    .map(([workflowId, list]) => {
      const o = list[0] as OutcomeRecord;
      return {
        workflowId,
        account: o.account,
        region: o.region,
        resourceType: o.resourceType,
        resourceId: o.resourceId,
        ...tally(list),
      };
    })
    .sort(
      byCountThenName(
        (r) => r.outcomes * 1e6 + r.escalated,
        (r) => r.workflowId,
      ),
    )
    .slice(0, top);

  return {
    schema: REPORT_SCHEMA,
    window: { since: options.since.toISOString(), until: options.until.toISOString() },
    totals: {
      outcomes: outcomes.length,
      resources: new Set(outcomes.map((o) => o.workflowId)).size,
      byStatus,
      rollbacks: rollbacks.length,
    },
    mttr: {
      definition: MTTR_DEFINITION,
      percentile: PERCENTILE_DEFINITION,
      overall: durationStats(outcomes.flatMap((o) => remediationMs(o) ?? [])),
    },
    playbooks,
    escalations: { total: escalated.length, byReason: escalationGroups(escalated) },
    topAccounts,
    topResources,
    approvals: approvals(outcomes),
    rollbacks: rollbackItems(rollbacks),
    sources: {
      runs: input.runs ?? 0,
      executions: input.executions ?? 0,
      queried: input.queried ?? 0,
      warnings: input.warnings ?? [],
    },
  };
}
