/**
 * docs/observability.md lists every metric as the catalogue declares it (regenerate:
 * `npx tsx scripts/metrics-table.ts --write`), and the README points to where to look.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRICS } from '../../src/metrics/catalogue';
import { metricsTable } from '../../src/metrics/metrics-table';
import { generatedSection, tableCells } from '../helpers/markdown';

it('carries the current table of the metrics, one row each', () => {
  const cells = tableCells(generatedSection('docs/observability.md', 'metrics-table'));
  expect(cells).toEqual(tableCells(metricsTable()));
  expect(cells.map((row) => row[0])).toEqual(
    expect.arrayContaining(Object.values(METRICS).map((m) => `\`${m.name}\``)),
  );
});

it('the README says where to look: the Web UI, /metrics, the CloudWatch dashboard and the report', () => {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  for (const pointer of [
    'METRICS_PORT',
    '/metrics',
    'docs/dashboards.md',
    'remediator report',
    'docs/observability.md',
  ]) {
    expect([pointer, readme.includes(pointer)]).toEqual([pointer, true]);
  }
});
