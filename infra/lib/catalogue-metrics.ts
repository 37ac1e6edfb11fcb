/**
 * CloudWatch metrics and SEARCH expressions built from the metric catalogue (src/metrics/catalogue.ts), never from
 * retyped names: a metric the code does not send to CloudWatch, a dimension set its EMF lines do not declare, or a
 * statistic that means nothing for its kind of instrument fails the synth here (docs/dashboards.md).
 */
import type { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { CLOUDWATCH_NAMESPACE, METRICS } from '../../src/metrics/catalogue';
import type { CloudWatchMetric, MetricKey } from '../../src/metrics/catalogue';

/** How a catalogue metric is aggregated on a graph or an alarm. */
export interface CatalogueStatistic {
  /** `Sum` for counters; `Maximum`, `Minimum` or `Average` for gauges; a percentile (`p90`) or those for histograms. */
  readonly statistic: string;
  readonly period: Duration;
  /** The legend label; a SEARCH without one shows each series by its dimension values. */
  readonly label?: string;
}

const PERCENTILE = /^p\d{1,2}(\.\d+)?$/;

/** The statistics that mean something for each kind of instrument (a counter's percentile is of its increments). */
const STATISTICS = {
  counter: (s: string) => s === 'Sum',
  gauge: (s: string) => ['Maximum', 'Minimum', 'Average'].includes(s),
  histogram: (s: string) =>
    PERCENTILE.test(s) || ['Average', 'Maximum', 'Minimum', 'SampleCount'].includes(s),
} as const;

/** The CloudWatch side of catalogue metric `key`; one the code sends only to Prometheus fails the synth. */
export function cloudWatchOf(key: MetricKey): CloudWatchMetric {
  const metric = METRICS[key].cloudWatch;
  if (!metric) throw new Error(`metric ${key} (${METRICS[key].name}) is not sent to CloudWatch`);
  return metric;
}

/** `dimensions` as the catalogue declares them for `key` (order-insensitive); an undeclared set fails the synth. */
function declaredSet(key: MetricKey, dimensions: readonly string[]): readonly string[] {
  const wanted = [...dimensions].sort().join(',');
  const set = cloudWatchOf(key).dimensionSets.find((s) => [...s].sort().join(',') === wanted);
  if (!set) {
    throw new Error(
      `metric ${key}: its EMF lines declare no dimension set [${dimensions.join(', ')}] ` +
        `(declared: ${JSON.stringify(cloudWatchOf(key).dimensionSets)})`,
    );
  }
  return set;
}

function checkedStatistic(key: MetricKey, statistic: string): string {
  const kind = METRICS[key].kind;
  if (!STATISTICS[kind](statistic))
    throw new Error(`metric ${key}: ${statistic} means nothing for a ${kind}`);
  return statistic;
}

/** Catalogue metric `key` without dimensions: its EMF lines must declare the empty dimension set. */
export function catalogueMetric(key: MetricKey, options: CatalogueStatistic): cloudwatch.Metric {
  declaredSet(key, []);
  return new cloudwatch.Metric({
    namespace: CLOUDWATCH_NAMESPACE,
    metricName: cloudWatchOf(key).name,
    statistic: checkedStatistic(key, options.statistic),
    period: options.period,
    ...(options.label !== undefined ? { label: options.label } : {}),
  });
}

/**
 * Every series of catalogue metric `key` with exactly `dimensions` (a SEARCH: the values, such as playbooks and
 * reasons, are not known at synth time). The schema `{namespace,dim,...}` matches only metrics with exactly those
 * dimensions, so one EMF dimension set is one SEARCH. Graphs only: a SearchExpression cannot make an alarm.
 */
export function catalogueSearch(
  key: MetricKey,
  dimensions: readonly string[],
  options: CatalogueStatistic,
): cloudwatch.SearchExpression {
  const set = declaredSet(key, dimensions);
  if (set.length === 0) throw new Error(`metric ${key}: a SEARCH needs a dimension (use catalogueMetric)`);
  const schema = [CLOUDWATCH_NAMESPACE, ...set].join(',');
  const seconds = options.period.toSeconds();
  return new cloudwatch.SearchExpression({
    expression:
      `SEARCH('{${schema}} MetricName="${cloudWatchOf(key).name}"', ` +
      `'${checkedStatistic(key, options.statistic)}', ${seconds})`,
    period: options.period,
    // The empty label keeps each series' own (its dimension values) instead of the expression's text.
    label: options.label ?? '',
  });
}
