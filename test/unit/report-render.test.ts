/**
 * The report's renderers (src/report/render-*.ts) on the committed histories plus hostile records: the HTML page is
 * well formed, self-contained (no http(s) in any src or href, a `default-src 'none'` policy), has its three charts
 * with one bar per count, and shows attacker-influenced text escaped; the table strips terminal control characters;
 * the JSON is the report as is.
 */
import { recordsFromHistory } from '../../src/report/outcomes-from-history';
import type { OutcomeRecord } from '../../src/report/outcomes-from-history';
import { renderHtml } from '../../src/report/render-html';
import { renderJson } from '../../src/report/render-json';
import { renderTable } from '../../src/report/render-table';
import { summarise } from '../../src/report/summarise';
import { historyFiles } from '../helpers/history-files';
import { parseHtml } from '../helpers/html';

const HOSTILE_ID = '<script>alert(1)</script>';
const HOSTILE_REASON = `"><img src="https://evil.example/x.png" onerror="alert(2)"> & \u001b[2J cleared`;
const HOSTILE_DECIDER = "o'hara<b>@evil";

const records = historyFiles().map((f) => recordsFromHistory(f.json));
const real = records.flatMap((r) => r.outcomes);
const template = real.find((o) => o.status === 'ESCALATED' && o.escalation?.errorType === 'AccessDenied')!;
const hostile: OutcomeRecord[] = [
  {
    ...template,
    workflowId: `remediation/123456789012/ap-northeast-1/AWS::S3::Bucket/${HOSTILE_ID}`,
    resourceId: HOSTILE_ID,
    eventId: 'evt-hostile-1',
    reason: HOSTILE_REASON,
    escalation: { reason: HOSTILE_REASON, errorType: 'Evil<Type>' },
  },
  {
    ...template,
    workflowId: 'remediation/123456789012/ap-northeast-1/AWS::S3::Bucket/approved-by-hostile',
    resourceId: 'approved-by-hostile',
    eventId: 'evt-hostile-2',
    status: 'REJECTED',
    approval: {
      decision: 'reject',
      by: HOSTILE_DECIDER,
      reason: HOSTILE_REASON,
      requestedAt: template.startedAt,
      decidedAt: template.finishedAt,
    },
  },
];
const report = summarise(
  { outcomes: [...real, ...hostile], rollbacks: records.flatMap((r) => (r.rollback ? [r.rollback] : [])) },
  { since: new Date('2026-01-01T00:00:00Z'), until: new Date('2027-01-01T00:00:00Z') },
);

describe('--html', () => {
  const html = renderHtml(report);
  const page = parseHtml(html);

  it('is one well-formed page that fetches nothing', () => {
    const names = new Set(page.elements.map((e) => e.name));
    for (const fetching of ['script', 'img', 'link', 'iframe', 'object', 'embed', 'image', 'use', 'source']) {
      expect([fetching, names.has(fetching)]).toEqual([fetching, false]);
    }
    for (const e of page.elements) {
      for (const [name, value] of Object.entries(e.attributes)) {
        if (name === 'src' || name.endsWith('href')) expect(value).not.toMatch(/^\s*(https?:)?\/\//i);
        expect(name.startsWith('on')).toBe(false);
      }
      // No style attribute or element loads anything either.
      expect(e.attributes['style'] ?? '').not.toMatch(/url\(/i);
    }
    expect(html).not.toMatch(/url\(|@import/i);
    const csp = page.elements.find((e) => e.attributes['http-equiv'] === 'Content-Security-Policy');
    expect(csp?.attributes['content']).toBe("default-src 'none'; style-src 'unsafe-inline'");
  });

  it('draws the outcomes, time-to-remediate and escalation charts with one bar per count', () => {
    const inChart = (id: string, name: string) =>
      (html.split(`<svg id="${id}"`)[1]?.split('</svg>')[0] ?? '').split(`<${name} `).length - 1;
    const segments = report.playbooks.reduce(
      (n, p) => n + Object.values(p.byStatus).filter((count) => count > 0).length,
      0,
    );
    const timed = report.playbooks.filter((p) => p.mttr !== null).length;

    for (const id of ['chart-outcomes', 'chart-mttr', 'chart-escalations']) {
      expect(page.elements.filter((e) => e.name === 'svg' && e.attributes['id'] === id)).toHaveLength(1);
    }
    expect(inChart('chart-outcomes', 'rect')).toBe(segments);
    expect(inChart('chart-mttr', 'rect')).toBe(2 * timed);
    expect(inChart('chart-escalations', 'rect')).toBe(report.escalations.byReason.length);
    expect(page.text).toContain('s3-block-public-access');
  });

  it('shows text from findings escaped: as text, never as markup', () => {
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>@evil');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.text).toContain(HOSTILE_ID);
    expect(page.text).toContain('Evil<Type>');
    expect(page.text).toContain(HOSTILE_DECIDER);
    expect(page.text).toContain('"><img src="https://evil.example/x.png" onerror="alert(2)"> &');
  });
});

it('the table strips terminal control characters from findings and lists every section', () => {
  const table = renderTable(report);

  expect(table).not.toContain('\u001b');
  expect(table).toContain('?[2J cleared');
  for (const section of [
    'Per playbook',
    'Escalations by reason code',
    'Top accounts',
    'Top resources',
    'Approvals decided',
    'Operator rollbacks: 1 (ROLLED_BACK 1)',
  ]) {
    expect(table).toContain(section);
  }
  expect(table).toMatch(/\n {2}s3-block-public-access +\d+ +\d+ /);
});

it('the JSON is the report, with the documented top-level fields', () => {
  const parsed = JSON.parse(renderJson(report)) as Record<string, unknown>;

  expect(parsed).toEqual(report);
  expect(Object.keys(parsed)).toEqual([
    'schema',
    'window',
    'totals',
    'mttr',
    'playbooks',
    'escalations',
    'topAccounts',
    'topResources',
    'approvals',
    'rollbacks',
    'sources',
  ]);
  expect(parsed['schema']).toBe('remediator.report/v1');
});
