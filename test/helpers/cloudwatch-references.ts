/**
 * What a synthesized CloudWatch dashboard and its alarms refer to (namespace, metric, dimension names, statistic), and
 * whether the metric catalogue says the code emits exactly that (docs/dashboards.md). CloudFormation tokens in the
 * dashboard body become placeholders (`ref:Id`, `getatt:Id.Attr`) so the body parses as the JSON CloudWatch gets.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { CLOUDWATCH_NAMESPACE, METRICS } from '../../src/metrics/catalogue';
import type { MetricDefinition } from '../../src/metrics/catalogue';

/** One metric, or one SEARCH, that a widget graphs or an alarm watches. */
export interface CloudWatchReference {
  /** The widget's title or the alarm's name. */
  readonly where: string;
  readonly namespace: string;
  readonly metricName: string;
  /** Dimension names; a SEARCH's are its schema's (it matches exactly those). */
  readonly dimensions: readonly string[];
  /** Dimension values of a plain metric (placeholders for tokens); none for a SEARCH. */
  readonly values: Readonly<Record<string, string>>;
  readonly statistic: string;
  readonly search: boolean;
}

/** A metric of an AWS service that the dashboard may graph, with its dimension names. */
export interface AwsMetric {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: readonly string[];
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** A CloudFormation value as text: `Fn::Join` joined, `Ref` and `Fn::GetAtt` as placeholders. */
export function placeholders(value: Json): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const object = value as Record<string, Json>;
  if ('Ref' in object) return `ref:${object.Ref as string}`;
  if ('Fn::GetAtt' in object) return `getatt:${(object['Fn::GetAtt'] as string[]).join('.')}`;
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, Json[]];
    return parts.map(placeholders).join(separator);
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

/** A dashboard widget as CloudWatch reads it. */
export interface Widget {
  readonly type: string;
  readonly properties: Record<string, unknown> & { title?: string; metrics?: unknown[][] };
}

/** The widgets of the template's one dashboard. */
export function dashboardWidgets(template: Template): Widget[] {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as Array<{
    Properties: { DashboardBody: Json };
  }>;
  if (dashboards.length !== 1) throw new Error(`expected one dashboard, found ${dashboards.length}`);
  const body = JSON.parse(placeholders(dashboards[0]!.Properties.DashboardBody)) as { widgets: Widget[] };
  return body.widgets;
}

const SEARCH_CALL = /^SEARCH\(\s*'([^']*)'\s*,\s*'([^']+)'\s*,\s*(\d+)\s*\)$/;
const SEARCH_TERM = /^\{([^}]+)\}\s+MetricName="([^"]+)"$/;

/** A SEARCH expression as a reference; anything else in an expression is refused (the checker would not see it). */
function searchReference(where: string, expression: string): CloudWatchReference {
  const call = SEARCH_CALL.exec(expression.trim());
  const term = call ? SEARCH_TERM.exec(call[1]!.trim()) : null;
  if (!call || !term) {
    throw new Error(
      `${where}: expression ${expression} is not one SEARCH('{namespace,dims} MetricName="…"', …)`,
    );
  }
  const [namespace = '', ...dimensions] = term[1]!.split(',').map((s) => s.trim().replace(/^"(.*)"$/, '$1'));
  return {
    where,
    namespace,
    metricName: term[2]!,
    dimensions,
    values: {},
    statistic: call[2]!,
    search: true,
  };
}

/** Every metric and SEARCH the widgets graph (text and alarm-status widgets graph none). */
export function widgetReferences(widgets: readonly Widget[]): CloudWatchReference[] {
  return widgets.flatMap((widget) => {
    const where = widget.properties.title ?? `${widget.type} widget`;
    const widgetStat = typeof widget.properties.stat === 'string' ? widget.properties.stat : 'Average';
    return (widget.properties.metrics ?? []).map((entry): CloudWatchReference => {
      const options = entry.find((e) => typeof e === 'object' && e !== null) as
        { expression?: string; stat?: string } | undefined;
      if (options?.expression !== undefined) return searchReference(where, options.expression);
      const parts = entry.filter((e): e is string => typeof e === 'string');
      if (parts.some((p) => p === '.' || p === '...') || parts.length < 2 || parts.length % 2 !== 0) {
        throw new Error(`${where}: metric ${JSON.stringify(entry)} is not [namespace, name, dim, value, …]`);
      }
      const [namespace, metricName, ...pairs] = parts as [string, string, ...string[]];
      const values: Record<string, string> = {};
      for (let i = 0; i < pairs.length; i += 2) values[pairs[i]!] = pairs[i + 1]!;
      return {
        where,
        namespace,
        metricName,
        dimensions: Object.keys(values),
        values,
        statistic: options?.stat ?? widgetStat,
        search: false,
      };
    });
  });
}

type AlarmMetric = {
  Namespace: string;
  MetricName: string;
  Dimensions?: Array<{ Name: string; Value: Json }>;
};
type AlarmProperties = Partial<AlarmMetric> & {
  AlarmName?: string;
  Statistic?: string;
  ExtendedStatistic?: string;
  Metrics?: Array<{ Id: string; Expression?: string; MetricStat?: { Metric: AlarmMetric; Stat: string } }>;
};

function alarmMetricReference(where: string, metric: AlarmMetric, statistic: string): CloudWatchReference {
  const values = Object.fromEntries((metric.Dimensions ?? []).map((d) => [d.Name, placeholders(d.Value)]));
  return {
    where,
    namespace: metric.Namespace,
    metricName: metric.MetricName,
    dimensions: Object.keys(values),
    values,
    statistic,
    search: false,
  };
}

/** Every metric the template's alarms watch (an alarm's math expression must be a SEARCH to be read, and fails). */
export function alarmReferences(template: Template): CloudWatchReference[] {
  return Object.entries(template.findResources('AWS::CloudWatch::Alarm')).flatMap(([id, resource]) => {
    const p = (resource as { Properties: AlarmProperties }).Properties;
    const where = p.AlarmName ?? id;
    if (p.Namespace && p.MetricName) {
      return [alarmMetricReference(where, p as AlarmMetric, p.ExtendedStatistic ?? p.Statistic ?? '')];
    }
    return (p.Metrics ?? []).map((m) =>
      m.MetricStat
        ? alarmMetricReference(where, m.MetricStat.Metric, m.MetricStat.Stat)
        : searchReference(where, m.Expression ?? ''),
    );
  });
}

const PERCENTILE = /^p\d{1,2}(\.\d+)?$/;
const STATISTICS: Record<MetricDefinition['kind'], (s: string) => boolean> = {
  counter: (s) => s === 'Sum',
  gauge: (s) => ['Maximum', 'Minimum', 'Average'].includes(s),
  histogram: (s) => PERCENTILE.test(s) || ['Average', 'Maximum', 'Minimum', 'SampleCount'].includes(s),
};
const sameSet = (a: readonly string[], b: readonly string[]) =>
  [...a].sort().join(',') === [...b].sort().join(',');

/**
 * What is wrong with a reference: a remediator metric must be one the catalogue sends to CloudWatch, with one of its
 * declared dimension sets and a statistic that means something for its kind; an AWS metric must be on the list.
 */
export function referenceProblems(ref: CloudWatchReference, awsMetrics: readonly AwsMetric[]): string[] {
  const at = `${ref.where}: ${ref.namespace} ${ref.metricName} [${ref.dimensions.join(', ')}]`;
  if (ref.namespace !== CLOUDWATCH_NAMESPACE) {
    const known = awsMetrics.some(
      (m) =>
        m.namespace === ref.namespace &&
        m.metricName === ref.metricName &&
        sameSet(m.dimensions, ref.dimensions),
    );
    return known ? [] : [`${at}: not a remediator metric, nor an AWS metric on the list`];
  }
  const definition = Object.values(METRICS).find((m) => m.cloudWatch?.name === ref.metricName);
  if (!definition?.cloudWatch) return [`${at}: no catalogue metric goes to CloudWatch under this name`];
  const problems: string[] = [];
  if (!definition.cloudWatch.dimensionSets.some((set) => sameSet(set, ref.dimensions))) {
    problems.push(
      `${at}: the EMF lines declare only ${JSON.stringify(definition.cloudWatch.dimensionSets)} for this metric`,
    );
  }
  if (!STATISTICS[definition.kind](ref.statistic)) {
    problems.push(`${at}: ${ref.statistic} means nothing for a ${definition.kind}`);
  }
  return problems;
}
