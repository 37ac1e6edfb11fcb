/**
 * Pure: the report as terminal tables (the default output of `remediator report`; docs/report.md). Every text that
 * comes from a finding or a payload goes through `terminalText`.
 */
import type { OutcomeStatus } from '../domain/remediation';
import { formatDuration, shortTime, terminalText } from './format';
import type { Report } from './summarise';

/** Columns padded to their widest cell; `right` lists the columns aligned right (numbers). */
export function table(headers: readonly string[], rows: readonly string[][], right: readonly number[] = []) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => {
        const w = widths[i] ?? 0;
        if (i === cells.length - 1 && !right.includes(i)) return c;
        return right.includes(i) ? c.padStart(w) : c.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].map((l) => `  ${l}`);
}

const t = (text: string, max?: number) => terminalText(text, max);
const SHOWN: readonly OutcomeStatus[] = ['REMEDIATED', 'ESCALATED', 'REJECTED', 'ROLLED_BACK', 'NO_ACTION'];

function playbookLines(report: Report): string[] {
  if (report.playbooks.length === 0) return ['  (no outcomes in the window)'];
  const rows = report.playbooks.map((p) => {
    const other = p.outcomes - SHOWN.reduce((n, s) => n + p.byStatus[s], 0);
    return [
      t(p.playbook, 40),
      String(p.outcomes),
      ...SHOWN.map((s) => String(p.byStatus[s])),
      String(other),
      String(p.rolledBackByOperator),
      p.mttr ? formatDuration(p.mttr.p50Ms) : '-',
      p.mttr ? formatDuration(p.mttr.p90Ms) : '-',
      p.mttr ? String(p.mttr.count) : '0',
    ];
  });
  return table(
    [
      'PLAYBOOK',
      'TOTAL',
      'REMEDIATED',
      'ESCALATED',
      'REJECTED',
      'ROLLED_BACK',
      'NO_ACTION',
      'OTHER',
      'OP_ROLLBACKS',
      'MTTR_P50',
      'MTTR_P90',
      'MTTR_N',
    ],
    rows,
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
  );
}

function escalationLines(report: Report): string[] {
  if (report.escalations.total === 0) return ['  (none)'];
  const rows = report.escalations.byReason.map((g) => [
    t(g.code, 30),
    String(g.count),
    t(g.playbooks.join(','), 50),
    t(g.examples[0]?.reason ?? '', 90),
  ]);
  return table(['REASON CODE', 'COUNT', 'PLAYBOOKS', 'EXAMPLE'], rows, [1]);
}

function topLines(report: Report): string[] {
  const accounts = table(
    ['ACCOUNT', 'OUTCOMES', 'REMEDIATED', 'ESCALATED'],
    report.topAccounts.map((a) => [
      t(a.account, 20),
      String(a.outcomes),
      String(a.remediated),
      String(a.escalated),
    ]),
    [1, 2, 3],
  );
  const resources = table(
    ['RESOURCE', 'TYPE', 'ACCOUNT/REGION', 'OUTCOMES', 'REMEDIATED', 'ESCALATED'],
    report.topResources.map((r) => [
      t(r.resourceId, 48),
      t(r.resourceType, 32),
      t(`${r.account}/${r.region}`, 32),
      String(r.outcomes),
      String(r.remediated),
      String(r.escalated),
    ]),
    [3, 4, 5],
  );
  return [
    `Top accounts`,
    ...(report.topAccounts.length ? accounts : ['  (none)']),
    '',
    `Top resources`,
    ...(report.topResources.length ? resources : ['  (none)']),
  ];
}

function approvalLines(report: Report): string[] {
  const a = report.approvals;
  const head = `Approvals decided: ${a.decided} (approved ${a.approved}, rejected ${a.rejected})`;
  if (a.decided === 0) return [head];
  return [
    head,
    ...table(
      ['DECIDER', 'APPROVED', 'REJECTED'],
      a.byDecider.map((d) => [t(d.by, 80), String(d.approved), String(d.rejected)]),
      [1, 2],
    ),
    '',
    ...table(
      ['DECIDED', 'DECISION', 'BY', 'PLAYBOOK', 'RESOURCE', 'WAITED', 'OUTCOME', 'REASON'],
      a.decisions.map((d) => [
        shortTime(d.decidedAt),
        d.decision,
        t(d.by, 48),
        t(d.playbook, 32),
        t(d.resourceId, 40),
        d.waitedMs === null ? '-' : formatDuration(d.waitedMs),
        d.status,
        t(d.reason, 60),
      ]),
    ),
  ];
}

function rollbackLines(report: Report): string[] {
  const r = report.rollbacks;
  const counts = Object.entries(r.byStatus)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
  const head = `Operator rollbacks: ${r.total}${counts ? ` (${counts})` : ''}`;
  if (r.total === 0) return [head];
  return [
    head,
    ...table(
      ['STARTED', 'STATUS', 'PLAYBOOK', 'RESOURCE', 'REQUESTED BY', 'APPROVED BY', 'WHY'],
      r.items.map((i) => [
        shortTime(i.startedAt),
        i.status,
        t(i.playbook ?? '-', 32),
        t(i.resourceId ?? i.target.workflowId, 40),
        t(i.requestedBy, 40),
        t(i.approvedBy.join(', ') || '-', 60),
        t(i.requestedReason, 60),
      ]),
    ),
  ];
}

/** The report for a terminal. */
export function renderTable(report: Report): string {
  const totals = report.totals;
  const statusLine = Object.entries(totals.byStatus)
    .map(([s, n]) => `${s} ${n}`)
    .join('  ');
  const mttr = report.mttr.overall;
  const lines = [
    `Remediation report ${shortTime(report.window.since)} to ${shortTime(report.window.until)}`,
    `Outcomes: ${totals.outcomes} on ${totals.resources} resources; operator rollbacks: ${totals.rollbacks}`,
    `  ${statusLine}`,
    mttr
      ? `Time to remediate (all playbooks, ${mttr.count} verified fixes): p50 ${formatDuration(mttr.p50Ms)}, p90 ${formatDuration(mttr.p90Ms)}`
      : 'Time to remediate: no verified fix in the window',
    `  (${report.mttr.definition}; percentiles by ${report.mttr.percentile})`,
    '',
    'Per playbook',
    ...playbookLines(report),
    '',
    `Escalations by reason code: ${report.escalations.total}`,
    ...escalationLines(report),
    '',
    ...topLines(report),
    '',
    ...approvalLines(report),
    '',
    ...rollbackLines(report),
    '',
    `Read ${report.sources.runs} runs of ${report.sources.executions} executions` +
      (report.sources.queried ? ` (${report.sources.queried} running, queried)` : ''),
    ...report.sources.warnings.map((w) => `  warning: ${t(w, 200)}`),
  ];
  return lines.join('\n');
}
