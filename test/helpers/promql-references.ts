/**
 * What a Grafana panel's PromQL refers to, read with Prometheus' own PromQL grammar (@prometheus-io/lezer-promql), and
 * whether the metric catalogue's Prometheus names and labels (or an allow-list of Temporal SDK metrics) cover it
 * (docs/dashboards.md).
 */
import { parser } from '@prometheus-io/lezer-promql';
import { METRICS } from '../../src/metrics/catalogue';

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

/** A metric the dashboard may query that the catalogue does not declare (the Temporal SDK's own). */
export interface AllowedMetric {
  readonly kind: 'counter' | 'gauge' | 'histogram';
  readonly labels: readonly string[];
}

/** Grafana's interval variables stand for durations; the grammar needs one there. */
const GRAFANA_DURATIONS = /\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}/g;

const HISTOGRAM_SERIES = ['_bucket', '_count', '_sum'] as const;

/** Every series name a query may use, with the labels it carries: the catalogue's and the allowed ones. */
export function queryableSeries(allowed: Readonly<Record<string, AllowedMetric>>): Map<string, Set<string>> {
  const series = new Map<string, Set<string>>();
  const add = (name: string, kind: AllowedMetric['kind'], labels: readonly string[]) => {
    if (kind !== 'histogram') {
      series.set(name, new Set(labels));
      return;
    }
    for (const suffix of HISTOGRAM_SERIES) {
      series.set(`${name}${suffix}`, new Set(suffix === '_bucket' ? [...labels, 'le'] : labels));
    }
  };
  for (const m of Object.values(METRICS)) add(m.name, m.kind, m.labels);
  for (const [name, m] of Object.entries(allowed)) add(name, m.kind, m.labels);
  return series;
}

/** The nodes named `name` under `node`, in document order. */
function descendants(node: SyntaxNode, name: string): SyntaxNode[] {
  const found: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (child.name === name) found.push(child);
    found.push(...descendants(child, name));
  }
  return found;
}

/** The series names a query selects. */
export function selectorNames(expr: string): string[] {
  const query = expr.replace(GRAFANA_DURATIONS, '5m');
  return descendants(parser.parse(query).topNode, 'VectorSelector').map((s) => {
    const name = s.getChild('Identifier');
    return name ? query.slice(name.from, name.to) : '';
  });
}

/** The labels a query groups by (`by (…)`): those its legend may show. */
export function groupingLabels(expr: string): string[] {
  const query = expr.replace(GRAFANA_DURATIONS, '5m');
  const tree = parser.parse(query);
  return descendants(tree.topNode, 'GroupingLabels').flatMap((g) =>
    descendants(g, 'LabelName').map((l) => query.slice(l.from, l.to)),
  );
}

/**
 * What is wrong with a query: a syntax error or unknown function, a series that neither the catalogue nor the
 * allow-list has, a label matcher on a label the series does not carry, or a grouping label that some series under the
 * aggregation does not carry (the group would be empty).
 */
export function promqlProblems(expr: string, series: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const query = expr.replace(GRAFANA_DURATIONS, '5m');
  const tree = parser.parse(query);
  const text = (n: SyntaxNode) => query.slice(n.from, n.to);
  const problems: string[] = [];
  tree.iterate({
    enter: (n) => {
      if (n.type.isError)
        problems.push(`${expr}: not PromQL at ${n.from} ('${query.slice(n.from, n.to + 8)}')`);
    },
  });
  const selectors = descendants(tree.topNode, 'VectorSelector');
  if (selectors.length === 0) problems.push(`${expr}: selects no series`);
  for (const selector of selectors) {
    const name = selector.getChild('Identifier');
    if (!name) {
      problems.push(`${expr}: a selector without a metric name`);
      continue;
    }
    const labels = series.get(text(name));
    if (!labels) {
      problems.push(`${expr}: ${text(name)} is neither a catalogue metric nor an allowed Temporal metric`);
      continue;
    }
    for (const label of descendants(selector, 'LabelName').map(text)) {
      if (!labels.has(label)) problems.push(`${expr}: ${text(name)} carries no label ${label}`);
    }
  }
  for (const grouping of descendants(tree.topNode, 'GroupingLabels')) {
    const scope = grouping.parent?.parent ?? tree.topNode;
    for (const label of descendants(grouping, 'LabelName').map(text)) {
      for (const selector of descendants(scope, 'VectorSelector')) {
        const name = selector.getChild('Identifier');
        const labels = name ? series.get(text(name)) : undefined;
        if (labels && !labels.has(label))
          problems.push(`${expr}: groups by ${label}, which ${text(name!)} lacks`);
      }
    }
  }
  return problems;
}
