/**
 * The report's numbers (src/report/summarise.ts) over the committed histories of real runs: every count, time to
 * remediate and grouping is derived again here from the files read the plain way (test/helpers/history-files.ts).
 */
import { recordsFromHistory } from '../../src/report/outcomes-from-history';
import { durationStats, nearestRank, summarise } from '../../src/report/summarise';
import type { Report } from '../../src/report/summarise';
import { historyFiles, plainOutcomes, startedInput, workflowTypeOf } from '../helpers/history-files';
import type { HistoryFile } from '../helpers/history-files';

const files = historyFiles();
const SINCE = new Date('2026-01-01T00:00:00Z');
const UNTIL = new Date('2027-01-01T00:00:00Z');

function reportOf(selected: readonly HistoryFile[], top = 10, since = SINCE, until = UNTIL): Report {
  const records = selected.map((f) => recordsFromHistory(f.json));
  return summarise(
    {
      outcomes: records.flatMap((r) => r.outcomes),
      rollbacks: records.flatMap((r) => (r.rollback ? [r.rollback] : [])),
    },
    { since, until, top },
  );
}

/** Every outcome of the files with the id of its execution, read the plain way. */
function plain(selected: readonly HistoryFile[]) {
  return selected
    .filter((f) => workflowTypeOf(f) === 'remediationWorkflow')
    .flatMap((f) => {
      const r = startedInput(f).resource;
      const workflowId = `remediation/${r.account}/${r.region}/${r.resourceType}/${r.resourceId}`;
      return plainOutcomes(f).map((o) => ({ ...o, workflowId }));
    });
}

/** Nearest rank, written out again: sort, take rank ceil(p/100 * n). */
function rank(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil((p * sorted.length) / 100) - 1]!;
}

it('counts every outcome by status, once, and the operator rollbacks', () => {
  const expected = plain(files);
  const counts: Record<string, number> = {};
  for (const o of expected) counts[o.status] = (counts[o.status] ?? 0) + 1;

  const report = reportOf(files);

  expect(report.totals.outcomes).toBe(expected.length);
  for (const [status, n] of Object.entries(report.totals.byStatus))
    expect([status, n]).toEqual([status, counts[status] ?? 0]);
  expect(report.totals.resources).toBe(new Set(expected.map((o) => o.workflowId)).size);
  expect(report.totals.rollbacks).toBe(files.filter((f) => workflowTypeOf(f) === 'rollbackWorkflow').length);
  expect(report.rollbacks.byStatus.ROLLED_BACK).toBe(1);
});

it('gives each playbook its counts and its p50/p90 time to remediate (verified fixes: verification.at - observedAt)', () => {
  const expected = plain(files);
  const report = reportOf(files);

  for (const row of report.playbooks) {
    const mine = expected.filter((o) => o.playbook === row.playbook);
    const fixes = mine
      .filter((o) => o.status === 'REMEDIATED' && o.verification?.passed === true)
      .map((o) => Date.parse(o.verification!.at) - Date.parse(o.finding.observedAt));
    expect([row.playbook, row.outcomes]).toEqual([row.playbook, mine.length]);
    expect([row.playbook, row.mttr]).toEqual([
      row.playbook,
      fixes.length === 0
        ? null
        : {
            count: fixes.length,
            p50Ms: rank(fixes, 50),
            p90Ms: rank(fixes, 90),
            minMs: Math.min(...fixes),
            maxMs: Math.max(...fixes),
          },
    ]);
  }
  // Busiest first, then by name.
  const order = [...report.playbooks].sort(
    (a, b) => b.outcomes - a.outcomes || a.playbook.localeCompare(b.playbook),
  );
  expect(report.playbooks.map((p) => p.playbook)).toEqual(order.map((p) => p.playbook));
  expect(report.playbooks.map((p) => p.playbook)).toEqual(
    [...new Set(expected.map((o) => o.playbook))].sort(
      (a, b) => order.findIndex((p) => p.playbook === a) - order.findIndex((p) => p.playbook === b),
    ),
  );
});

it('measures s3-block-public-access to the millisecond on its five verified fixes', () => {
  // The five S3 bucket histories that end REMEDIATED: the report must agree with their own timestamps.
  const names = [
    's3-remediated-broken-again-remediated.json',
    's3-remediated-rolled-back.json',
    's3-remediated-under-breaker.json',
    's3-remediated-with-repeat-and-new-control.json',
  ];
  const selected = files.filter((f) => names.includes(f.name));
  const fixes = plain(selected)
    .filter((o) => o.status === 'REMEDIATED')
    .map((o) => Date.parse(o.verification!.at) - Date.parse(o.finding.observedAt))
    .sort((a, b) => a - b);

  const row = reportOf(selected).playbooks.find((p) => p.playbook === 's3-block-public-access');

  expect(fixes).toHaveLength(5);
  // Nearest rank on five: p50 is the 3rd smallest, p90 the 5th.
  expect(row?.mttr).toEqual({ count: 5, p50Ms: fixes[2], p90Ms: fixes[4], minMs: fixes[0], maxMs: fixes[4] });
  expect(row?.rolledBackByOperator).toBe(0);
});

it('groups escalations by reason code: the error type, CannotFix for an analysis that said so', () => {
  const escalated = plain(files).filter((o) => o.status === 'ESCALATED');
  const codes: Record<string, number> = {};
  for (const o of escalated) {
    const code =
      o.escalation?.errorType ?? (o.analysis?.verdict === 'cannot_fix' ? 'CannotFix' : 'Unclassified');
    codes[code] = (codes[code] ?? 0) + 1;
  }

  const report = reportOf(files);

  expect(report.escalations.total).toBe(escalated.length);
  expect(Object.fromEntries(report.escalations.byReason.map((g) => [g.code, g.count]))).toEqual(codes);
  expect(report.escalations.byReason[0]?.code).toBe('AccessDenied');
  expect(codes['ApprovalTimeout']).toBe(1);
  for (const g of report.escalations.byReason) {
    expect(g.examples.length).toBeGreaterThan(0);
    expect(g.examples.length).toBeLessThanOrEqual(3);
  }
});

it('lists the approvals decided with who decided, and tallies the deciders', () => {
  const decided = plain(files).filter((o) => o.approval);

  const { approvals } = reportOf(files);

  expect(approvals.decided).toBe(decided.length);
  expect(approvals.approved).toBe(decided.filter((o) => o.approval!.decision === 'approve').length);
  expect(approvals.rejected).toBe(decided.filter((o) => o.approval!.decision === 'reject').length);
  expect(approvals.decisions.map((d) => [d.by, d.decision, d.waitedMs]).sort()).toEqual(
    decided
      .map((o) => [
        o.approval!.by,
        o.approval!.decision,
        Date.parse(o.approval!.decidedAt) - Date.parse(o.approval!.requestedAt),
      ])
      .sort(),
  );
  expect(approvals.byDecider).toEqual([
    { by: 'capture@replay (unverified)', approved: 2, rejected: 0 },
    { by: 'capture (web ui) (unverified)', approved: 0, rejected: 1 },
  ]);
});

it('ranks the top accounts and resources by outcomes and cuts the lists at --top', () => {
  const expected = plain(files);
  const perAccount = new Map<string, number>();
  for (const o of expected)
    perAccount.set(o.finding.resource.account, (perAccount.get(o.finding.resource.account) ?? 0) + 1);
  const perResource = new Map<string, number>();
  for (const o of expected) perResource.set(o.workflowId, (perResource.get(o.workflowId) ?? 0) + 1);

  const report = reportOf(files, 3);

  expect(report.topAccounts.map((a) => [a.account, a.outcomes])).toEqual(
    [...perAccount].sort((a, b) => b[1] - a[1]).slice(0, 3),
  );
  expect(report.topResources).toHaveLength(3);
  const busiest = Math.max(...perResource.values());
  expect(report.topResources[0]?.outcomes).toBe(busiest);
  for (const r of report.topResources) expect(r.outcomes).toBe(perResource.get(r.workflowId));
});

it('counts only what finished in the window, and keeps the shape when nothing did', () => {
  const after = new Date('2026-12-06T12:00:00Z');
  const expected = plain(files).filter((o) => Date.parse(o.finishedAt) >= after.getTime());

  const late = reportOf(files, 10, after);
  const empty = reportOf(files, 10, new Date('2030-01-01T00:00:00Z'), new Date('2030-01-02T00:00:00Z'));

  expect(late.totals.outcomes).toBe(expected.length);
  expect(empty.totals.outcomes).toBe(0);
  expect(empty.mttr.overall).toBeNull();
  expect(empty.playbooks).toEqual([]);
  expect(Object.keys(empty)).toEqual(Object.keys(late));
  expect(Object.keys(empty.totals.byStatus)).toHaveLength(8);
});

it('takes percentiles by nearest rank', () => {
  const values = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];

  expect(nearestRank(values, 50)).toBe(5);
  expect(nearestRank(values, 90)).toBe(9);
  expect(nearestRank([42], 90)).toBe(42);
  expect(durationStats([300, 100, 200])).toEqual({
    count: 3,
    p50Ms: 200,
    p90Ms: 300,
    minMs: 100,
    maxMs: 300,
  });
  expect(durationStats([])).toBeNull();
  expect(() => nearestRank([], 50)).toThrow(RangeError);
});
