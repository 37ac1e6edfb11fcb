/** The metrics table of docs/observability.md, made from the catalogue (`npx tsx scripts/metrics-table.ts --write`). */
import { METRICS } from './catalogue';

/** One row per metric: Prometheus name, kind, labels, emitter, CloudWatch name and dimension sets, meaning. */
export function metricsTable(): string {
  const rows = Object.values(METRICS).map((m) => {
    const cloudWatch = m.cloudWatch
      ? `\`${m.cloudWatch.name}\` by ${m.cloudWatch.dimensionSets
          .map((set) => (set.length === 0 ? '(none)' : set.join('+')))
          .join(', ')}`
      : '—';
    const labels = m.labels.length > 0 ? m.labels.map((l) => `\`${l}\``).join(', ') : '—';
    return `| \`${m.name}\` | ${m.kind} | ${labels} | ${m.emitter} | ${cloudWatch} | ${m.description} |`;
  });
  return [
    '| Prometheus name | kind | labels | process | CloudWatch (EMF) | what it counts |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
