/**
 * Pure: the report as one self-contained HTML page (`remediator report --html FILE`; docs/report.md). It fetches
 * nothing: styles are inline, the charts are SVG drawn here, and a Content-Security-Policy of `default-src 'none'`
 * makes a browser refuse any fetch should one slip in. Every text from a finding or a payload (resource ids, reasons,
 * deciders: attacker-influenced) goes through `escapeHtml`, in element content and in attributes alike.
 */
import type { OutcomeStatus } from '../domain/remediation';
import { OUTCOME_STATUSES } from './outcomes-from-history';
import { formatDuration, shortTime } from './format';
import type { Report } from './summarise';

/** Text safe in HTML element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const e = escapeHtml;

/** Colour of each outcome status in the charts and the legend. */
export const STATUS_COLOURS: Readonly<Record<OutcomeStatus, string>> = {
  REMEDIATED: '#2e7d32',
  ESCALATED: '#c62828',
  ROLLED_BACK: '#ef6c00',
  REJECTED: '#6a1b9a',
  EXEMPT: '#00838f',
  DRY_RUN: '#546e7a',
  NO_ACTION: '#9e9e9e',
  CANCELLED: '#795548',
};

const CHART_WIDTH = 880;
const LABEL_WIDTH = 250;
const ROW = 24;
const BAR = 16;

/** Horizontal stacked bars: outcomes per playbook by status. */
export function outcomesChart(report: Report): string {
  const rows = report.playbooks;
  if (rows.length === 0) return '<p class="empty">No outcomes in the window.</p>';
  const plot = CHART_WIDTH - LABEL_WIDTH - 50;
  const max = Math.max(...rows.map((p) => p.outcomes));
  const height = rows.length * ROW + 30;
  const bars = rows.map((p, i) => {
    const y = i * ROW + 4;
    let x = LABEL_WIDTH;
    const segments = OUTCOME_STATUSES.filter((s) => p.byStatus[s] > 0).map((s) => {
      const w = (p.byStatus[s] / max) * plot;
      const rect =
        `<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${BAR}" fill="${STATUS_COLOURS[s]}">` +
        `<title>${e(`${p.playbook}: ${s} ${p.byStatus[s]}`)}</title></rect>`;
      x += w;
      return rect;
    });
    return (
      `<text x="${LABEL_WIDTH - 8}" y="${y + 12}" text-anchor="end" class="label">${e(p.playbook)}</text>` +
      segments.join('') +
      `<text x="${(x + 6).toFixed(1)}" y="${y + 12}" class="value">${p.outcomes}</text>`
    );
  });
  const axisY = rows.length * ROW + 8;
  const ticks = niceTicks(max).map((v) => {
    const x = LABEL_WIDTH + (v / max) * plot;
    return (
      `<line x1="${x.toFixed(1)}" y1="0" x2="${x.toFixed(1)}" y2="${axisY}" class="grid"/>` +
      `<text x="${x.toFixed(1)}" y="${axisY + 14}" text-anchor="middle" class="tick">${v}</text>`
    );
  });
  return (
    `<svg id="chart-outcomes" class="chart" role="img" aria-label="Outcomes per playbook" ` +
    `viewBox="0 0 ${CHART_WIDTH} ${height}" width="${CHART_WIDTH}" height="${height}">` +
    ticks.join('') +
    bars.join('') +
    `</svg>` +
    legend(OUTCOME_STATUSES.filter((s) => report.totals.byStatus[s] > 0))
  );
}

/** Whole-number ticks from 0 to `max`, at most about six. */
function niceTicks(max: number): number[] {
  const step = Math.max(1, Math.ceil(max / 5));
  const ticks: number[] = [];
  for (let v = 0; v <= max; v += step) ticks.push(v);
  return ticks;
}

function legend(statuses: readonly OutcomeStatus[]): string {
  return (
    `<div class="legend">` +
    statuses.map((s) => `<span><i style="background:${STATUS_COLOURS[s]}"></i>${e(s)}</span>`).join('') +
    `</div>`
  );
}

/** Tick marks of the time axis, from 100 ms to 30 days. */
const TIME_TICKS = [100, 1e3, 1e4, 6e4, 6e5, 36e5, 216e5, 864e5, 6048e5, 2592e6];
/** The last of them: a longer time is drawn at the end of the axis. */
const LAST_TICK = 2592e6;
/** Their labels: round numbers read better on an axis than `formatDuration`'s exact ones. */
const TICK_LABELS: Readonly<Record<number, string>> = {
  100: '100ms',
  1e3: '1s',
  1e4: '10s',
  6e4: '1m',
  6e5: '10m',
  36e5: '1h',
  216e5: '6h',
  864e5: '1d',
  6048e5: '7d',
  2592e6: '30d',
};

/** Paired bars on a logarithmic time axis: p50 and p90 time to remediate per playbook. */
export function mttrChart(report: Report): string {
  const rows = report.playbooks.filter((p) => p.mttr !== null);
  if (rows.length === 0) return '<p class="empty">No verified fix in the window.</p>';
  const values = rows.flatMap((p) => (p.mttr ? [p.mttr.p50Ms, p.mttr.p90Ms] : []));
  const lo = [...TIME_TICKS].reverse().find((t) => t <= Math.max(1, Math.min(...values))) ?? 100;
  let hi = TIME_TICKS.find((t) => t >= Math.max(...values)) ?? LAST_TICK;
  if (hi <= lo) hi = TIME_TICKS.find((t) => t > lo) ?? lo * 10;
  const plot = CHART_WIDTH - LABEL_WIDTH - 80;
  const x = (v: number) =>
    LABEL_WIDTH + ((Math.log(Math.max(v, lo)) - Math.log(lo)) / (Math.log(hi) - Math.log(lo))) * plot;
  const rowH = 30;
  const height = rows.length * rowH + 30;
  const bars = rows.map((p, i) => {
    const m = p.mttr as NonNullable<typeof p.mttr>;
    const y = i * rowH + 4;
    const bar = (v: number, dy: number, cls: string, what: string) => {
      const w = Math.max(2, x(v) - LABEL_WIDTH);
      return (
        `<rect x="${LABEL_WIDTH}" y="${y + dy}" width="${w.toFixed(1)}" height="11" class="${cls}">` +
        `<title>${e(`${p.playbook}: ${what} ${formatDuration(v)} (n=${m.count})`)}</title></rect>` +
        `<text x="${(LABEL_WIDTH + w + 5).toFixed(1)}" y="${y + dy + 10}" class="value">${e(formatDuration(v))}</text>`
      );
    };
    return (
      `<text x="${LABEL_WIDTH - 8}" y="${y + 16}" text-anchor="end" class="label">${e(p.playbook)}</text>` +
      bar(m.p50Ms, 0, 'p50', 'p50') +
      bar(m.p90Ms, 12, 'p90', 'p90')
    );
  });
  const axisY = rows.length * rowH + 8;
  const ticks = TIME_TICKS.filter((t) => t >= lo && t <= hi).map((t) => {
    const tx = x(t);
    return (
      `<line x1="${tx.toFixed(1)}" y1="0" x2="${tx.toFixed(1)}" y2="${axisY}" class="grid"/>` +
      `<text x="${tx.toFixed(1)}" y="${axisY + 14}" text-anchor="middle" class="tick">${e(TICK_LABELS[t] ?? formatDuration(t))}</text>`
    );
  });
  return (
    `<svg id="chart-mttr" class="chart" role="img" aria-label="Time to remediate per playbook, p50 and p90" ` +
    `viewBox="0 0 ${CHART_WIDTH} ${height}" width="${CHART_WIDTH}" height="${height}">` +
    ticks.join('') +
    bars.join('') +
    `</svg>` +
    `<div class="legend"><span><i class="p50"></i>p50</span><span><i class="p90"></i>p90</span>` +
    `<span>logarithmic time axis</span></div>`
  );
}

/** Horizontal bars: escalations per reason code. */
export function escalationsChart(report: Report): string {
  const groups = report.escalations.byReason;
  if (groups.length === 0) return '<p class="empty">No escalations in the window.</p>';
  const max = Math.max(...groups.map((g) => g.count));
  const plot = CHART_WIDTH - LABEL_WIDTH - 50;
  const height = groups.length * ROW + 8;
  const bars = groups.map((g, i) => {
    const y = i * ROW + 4;
    const w = (g.count / max) * plot;
    return (
      `<text x="${LABEL_WIDTH - 8}" y="${y + 12}" text-anchor="end" class="label">${e(g.code)}</text>` +
      `<rect x="${LABEL_WIDTH}" y="${y}" width="${w.toFixed(1)}" height="${BAR}" fill="${STATUS_COLOURS.ESCALATED}">` +
      `<title>${e(`${g.code}: ${g.count}`)}</title></rect>` +
      `<text x="${(LABEL_WIDTH + w + 6).toFixed(1)}" y="${y + 12}" class="value">${g.count}</text>`
    );
  });
  return (
    `<svg id="chart-escalations" class="chart" role="img" aria-label="Escalations by reason code" ` +
    `viewBox="0 0 ${CHART_WIDTH} ${height}" width="${CHART_WIDTH}" height="${height}">${bars.join('')}</svg>`
  );
}

/** A table; every cell is text and is escaped here. */
function htmlTable(headers: readonly string[], rows: readonly string[][], numeric: readonly number[] = []) {
  if (rows.length === 0) return '<p class="empty">None.</p>';
  const cls = (i: number) => (numeric.includes(i) ? ' class="num"' : '');
  return (
    `<table><thead><tr>${headers.map((h, i) => `<th${cls(i)}>${e(h)}</th>`).join('')}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${e(c)}</td>`).join('')}</tr>`).join('') +
    `</tbody></table>`
  );
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px 32px;color:#1f2328;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.window{color:#57606a;margin:0 0 16px}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;min-width:96px}
.card b{display:block;font-size:22px}.card span{color:#57606a;font-size:12px}
.chart{max-width:100%;height:auto}.chart .label{font-size:12px;fill:#1f2328}.chart .value{font-size:11px;fill:#57606a}
.chart .tick{font-size:10px;fill:#57606a}.chart .grid{stroke:#eaeef2;stroke-width:1}
.chart .p50,.legend i.p50{fill:#0969da;background:#0969da}.chart .p90,.legend i.p90{fill:#9ecbff;background:#9ecbff}
.legend{display:flex;flex-wrap:wrap;gap:14px;font-size:12px;color:#57606a;margin:4px 0 0 ${LABEL_WIDTH}px}
.legend i{display:inline-block;width:11px;height:11px;margin-right:5px;vertical-align:-1px;border-radius:2px}
table{border-collapse:collapse;font-size:13px;margin:4px 0}th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-size:12px}td.num,th.num{text-align:right}td.num{white-space:nowrap}td{max-width:520px;overflow-wrap:anywhere}
td:first-child{white-space:nowrap}
.empty{color:#57606a}.note{color:#57606a;font-size:12px}.warn{color:#9a6700}
`;

function card(value: string, label: string): string {
  return `<div class="card"><b>${e(value)}</b><span>${e(label)}</span></div>`;
}

/** The report as one self-contained HTML page. */
export function renderHtml(report: Report): string {
  const t = report.totals;
  const mttr = report.mttr.overall;
  const title = `Remediation report ${shortTime(report.window.since)} to ${shortTime(report.window.until)}`;
  const playbookRows = report.playbooks.map((p) => [
    p.playbook,
    String(p.outcomes),
    ...OUTCOME_STATUSES.map((s) => String(p.byStatus[s])),
    String(p.rolledBackByOperator),
    p.mttr ? formatDuration(p.mttr.p50Ms) : '-',
    p.mttr ? formatDuration(p.mttr.p90Ms) : '-',
    String(p.mttr?.count ?? 0),
  ]);
  const body = [
    `<h1>Remediation report</h1>`,
    `<p class="window">${e(shortTime(report.window.since))} to ${e(shortTime(report.window.until))}</p>`,
    `<div class="cards">`,
    card(String(t.outcomes), 'outcomes'),
    card(String(t.byStatus.REMEDIATED), 'remediated'),
    card(String(t.byStatus.ESCALATED), 'escalated'),
    card(mttr ? formatDuration(mttr.p50Ms) : '-', 'time to remediate p50'),
    card(mttr ? formatDuration(mttr.p90Ms) : '-', 'time to remediate p90'),
    card(String(report.approvals.decided), 'approvals decided'),
    card(String(t.rollbacks), 'operator rollbacks'),
    card(String(t.resources), 'resources'),
    `</div>`,
    `<h2>Outcomes per playbook</h2>`,
    outcomesChart(report),
    `<h2>Time to remediate per playbook</h2>`,
    mttrChart(report),
    `<p class="note">${e(report.mttr.definition)}; percentiles by ${e(report.mttr.percentile)}.</p>`,
    htmlTable(
      [
        'playbook',
        'total',
        ...OUTCOME_STATUSES.map((s) => s.toLowerCase().replace('_', ' ')),
        'operator rollbacks',
        'p50',
        'p90',
        'n',
      ],
      playbookRows,
      Array.from({ length: OUTCOME_STATUSES.length + 5 }, (_, i) => i + 1),
    ),
    `<h2>Escalations by reason code (${report.escalations.total})</h2>`,
    escalationsChart(report),
    htmlTable(
      ['reason code', 'count', 'playbooks', 'examples'],
      report.escalations.byReason.map((g) => [
        g.code,
        String(g.count),
        g.playbooks.join(', '),
        g.examples.map((x) => `${x.resourceId}: ${x.reason}`).join(' | '),
      ]),
      [1],
    ),
    `<h2>Top accounts</h2>`,
    htmlTable(
      ['account', 'outcomes', 'remediated', 'escalated'],
      report.topAccounts.map((a) => [
        a.account,
        String(a.outcomes),
        String(a.remediated),
        String(a.escalated),
      ]),
      [1, 2, 3],
    ),
    `<h2>Top resources</h2>`,
    htmlTable(
      ['resource', 'type', 'account/region', 'outcomes', 'remediated', 'escalated'],
      report.topResources.map((r) => [
        r.resourceId,
        r.resourceType,
        `${r.account}/${r.region}`,
        String(r.outcomes),
        String(r.remediated),
        String(r.escalated),
      ]),
      [3, 4, 5],
    ),
    `<h2>Approvals decided (${report.approvals.decided}: approved ${report.approvals.approved}, rejected ${report.approvals.rejected})</h2>`,
    htmlTable(
      ['decider', 'approved', 'rejected'],
      report.approvals.byDecider.map((d) => [d.by, String(d.approved), String(d.rejected)]),
      [1, 2],
    ),
    htmlTable(
      ['decided', 'decision', 'by', 'playbook', 'resource', 'waited', 'outcome', 'reason'],
      report.approvals.decisions.map((d) => [
        shortTime(d.decidedAt),
        d.decision,
        d.by,
        d.playbook,
        d.resourceId,
        d.waitedMs === null ? '-' : formatDuration(d.waitedMs),
        d.status,
        d.reason,
      ]),
    ),
    `<h2>Operator rollbacks (${report.rollbacks.total})</h2>`,
    htmlTable(
      ['started', 'status', 'playbook', 'resource', 'requested by', 'approved by', 'why', 'result'],
      report.rollbacks.items.map((r) => [
        shortTime(r.startedAt),
        r.status,
        r.playbook ?? '-',
        r.resourceId ?? r.target.workflowId,
        r.requestedBy,
        r.approvedBy.join(', ') || '-',
        r.requestedReason,
        r.reason,
      ]),
    ),
    `<p class="note">Read ${report.sources.runs} runs of ${report.sources.executions} executions` +
      `${report.sources.queried ? `, ${report.sources.queried} running ones queried` : ''}.</p>`,
    ...report.sources.warnings.map((w) => `<p class="warn">${e(w)}</p>`),
  ];
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${e(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
