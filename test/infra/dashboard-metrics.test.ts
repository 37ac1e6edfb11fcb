/**
 * The dashboards against the metric catalogue (docs/dashboards.md): every metric and SEARCH of the synthesized
 * CloudWatch dashboard and every alarm names a CloudWatch metric, dimension set and statistic the code emits; every
 * PromQL query of docs/grafana-dashboard.json names the catalogue's Prometheus series and labels, or a Temporal SDK
 * metric on the allow-list (itself checked against the SDK's sources). Each checker is also shown a wrong reference, so
 * that a blank graph cannot pass.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { catalogueMetric, catalogueSearch } from '../../infra/lib/catalogue-metrics';
import { CentralStack } from '../../infra/lib/central-stack';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';
import { CLOUDWATCH_NAMESPACE, DIMENSION_NAMES, METRICS } from '../../src/metrics/catalogue';
import type { MetricKey } from '../../src/metrics/catalogue';
import {
  alarmReferences,
  dashboardWidgets,
  referenceProblems,
  widgetReferences,
} from '../helpers/cloudwatch-references';
import type { AwsMetric, CloudWatchReference, Widget } from '../helpers/cloudwatch-references';
import { groupingLabels, promqlProblems, queryableSeries, selectorNames } from '../helpers/promql-references';
import type { AllowedMetric } from '../helpers/promql-references';

const ROOT = join(__dirname, '../..');
const D = DIMENSION_NAMES;

/** The AWS service metrics the dashboard may graph besides the remediator's own. */
const AWS_METRICS: readonly AwsMetric[] = [
  { namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensions: ['QueueName'] },
  { namespace: 'AWS/SQS', metricName: 'ApproximateAgeOfOldestMessage', dimensions: ['QueueName'] },
  { namespace: 'AWS/ECS', metricName: 'CPUUtilization', dimensions: ['ClusterName', 'ServiceName'] },
  { namespace: 'AWS/ECS', metricName: 'MemoryUtilization', dimensions: ['ClusterName', 'ServiceName'] },
  {
    namespace: 'ECS/ContainerInsights',
    metricName: 'RunningTaskCount',
    dimensions: ['ClusterName', 'ServiceName'],
  },
];

/**
 * The Temporal SDK's own worker metrics the Grafana dashboard may query (Core SDK names under the TypeScript runtime's
 * default `temporal_` prefix; the labels they carry). Checked below against the SDK sources installed here.
 */
const TEMPORAL_SDK_METRICS: Readonly<Record<string, AllowedMetric>> = {
  temporal_workflow_task_schedule_to_start_latency: {
    kind: 'histogram',
    labels: ['namespace', 'task_queue', 'service_name'],
  },
  temporal_activity_schedule_to_start_latency: {
    kind: 'histogram',
    labels: ['namespace', 'task_queue', 'service_name'],
  },
  temporal_activity_execution_failed: {
    kind: 'counter',
    labels: ['namespace', 'task_queue', 'workflow_type', 'activity_type', 'failure_reason', 'service_name'],
  },
  temporal_workflow_task_execution_failed: {
    kind: 'counter',
    labels: ['namespace', 'task_queue', 'workflow_type', 'failure_reason', 'service_name'],
  },
  temporal_sticky_cache_size: { kind: 'gauge', labels: ['namespace', 'task_queue', 'service_name'] },
  temporal_worker_task_slots_available: {
    kind: 'gauge',
    labels: ['namespace', 'task_queue', 'worker_type', 'service_name'],
  },
};

function synth(withServices: boolean): Template {
  const stack = new CentralStack(new App(), 'Central', {
    policy: DEFAULT_POLICY,
    managedAlarmNames: ['high-cpu-alarm'],
    env: { account: '123456789012', region: 'ap-northeast-1' },
    ...(withServices ? { service: { temporalAuth: 'api-key' as const } } : {}),
  });
  return Template.fromStack(stack);
}

const template = synth(true);
const widgets = dashboardWidgets(template);
const references = widgetReferences(widgets);

/** The CloudWatch name of catalogue metric `key` (the test names metrics as the code does). */
const cw = (key: MetricKey): string => {
  const name = METRICS[key].cloudWatch?.name;
  if (!name) throw new Error(`${key} does not go to CloudWatch`);
  return name;
};
const sameSet = (a: readonly string[], b: readonly string[]) =>
  [...a].sort().join(',') === [...b].sort().join(',');
const remediator =
  (key: MetricKey, dimensions: readonly string[], statistic: string, search: boolean) =>
  (r: CloudWatchReference) =>
    r.namespace === CLOUDWATCH_NAMESPACE &&
    r.metricName === cw(key) &&
    sameSet(r.dimensions, dimensions) &&
    r.statistic === statistic &&
    r.search === search;
const queueMetric = (metricName: string, queuePrefix: string) => (r: CloudWatchReference) =>
  r.namespace === 'AWS/SQS' &&
  r.metricName === metricName &&
  new RegExp(`^getatt:${queuePrefix}[0-9A-F]{8}\\.QueueName$`).test(r.values.QueueName ?? '');
const serviceMetric = (namespace: string, metricName: string, service: 'Worker' | 'Ingest') => {
  return (r: CloudWatchReference) =>
    r.namespace === namespace &&
    r.metricName === metricName &&
    new RegExp(`^getatt:Service${service}Service[0-9A-F]{8}\\.Name$`).test(r.values.ServiceName ?? '') &&
    /^ref:ServiceCluster[0-9A-F]{8}$/.test(r.values.ClusterName ?? '');
};

describe('the CloudWatch dashboard', () => {
  it('graphs only what the code emits: every metric and SEARCH against the catalogue', () => {
    expect(references.length).toBeGreaterThanOrEqual(25);
    expect(references.flatMap((r) => referenceProblems(r, AWS_METRICS))).toEqual([]);
    // The remediator's metrics come from SEARCH expressions and plain metrics alike; both were checked.
    expect(references.filter((r) => r.search).length).toBeGreaterThanOrEqual(12);
    expect(
      references.filter((r) => r.namespace === CLOUDWATCH_NAMESPACE && !r.search).length,
    ).toBeGreaterThan(3);
  });

  it('has the graphs the issue asks for', () => {
    const wanted: Array<[string, (r: CloudWatchReference) => boolean]> = [
      ['outcomes per playbook', remediator('remediations', [D.playbook, D.outcome], 'Sum', true)],
      ['MTTR p50', remediator('timeToVerifiedFix', [], 'p50', false)],
      ['MTTR p90', remediator('timeToVerifiedFix', [], 'p90', false)],
      ['MTTR p50 per playbook', remediator('timeToVerifiedFix', [D.playbook], 'p50', true)],
      ['MTTR p90 per playbook', remediator('timeToVerifiedFix', [D.playbook], 'p90', true)],
      ['escalations by reason', remediator('escalations', [D.reason], 'Sum', true)],
      ['approvals waiting', remediator('approvalsWaiting', [], 'Maximum', false)],
      ['breaker trips', remediator('breakerTrips', [], 'Sum', false)],
      ['admission holds', remediator('admissionHolds', [D.reason], 'Sum', true)],
      ['findings by disposition', remediator('findingsReceived', [D.disposition], 'Sum', true)],
      ['ingest polls by result', remediator('ingestPolls', [D.result], 'Sum', true)],
      ['ingest queue depth', queueMetric('ApproximateNumberOfMessagesVisible', 'IngestQueue')],
      ['ingest queue oldest message', queueMetric('ApproximateAgeOfOldestMessage', 'IngestQueue')],
      ['DLQ depth', queueMetric('ApproximateNumberOfMessagesVisible', 'IngestDeadLetterQueue')],
      ...(['Worker', 'Ingest'] as const).flatMap(
        (service): Array<[string, (r: CloudWatchReference) => boolean]> => [
          [`${service} CPU`, serviceMetric('AWS/ECS', 'CPUUtilization', service)],
          [`${service} memory`, serviceMetric('AWS/ECS', 'MemoryUtilization', service)],
          [`${service} running tasks`, serviceMetric('ECS/ContainerInsights', 'RunningTaskCount', service)],
        ],
      ),
    ];
    const missing = wanted.filter(([, matches]) => !references.some(matches)).map(([what]) => what);
    expect(missing).toEqual([]);
    const titles = widgets.map((w) => w.properties.title);
    expect(titles).toEqual(
      expect.arrayContaining([
        'Remediations by playbook and outcome (per hour)',
        'Escalations by reason (per hour)',
        'Approvals waiting',
        'Ingest queue: depth and age of oldest message',
        'Dead-letter queue depth',
        'Worker and bridge running tasks',
      ]),
    );
  });

  it('shows every alarm of the stack, and the two outcome alarms against their thresholds', () => {
    const alarmIds = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
    const status = widgets.find((w) => w.type === 'alarm');
    expect([...((status?.properties.alarms as string[]) ?? [])].sort()).toEqual(
      alarmIds.map((id) => `getatt:${id}.Arn`).sort(),
    );
    const annotated = widgets.flatMap(
      (w) => (w.properties.annotations as { alarms?: string[] } | undefined)?.alarms ?? [],
    );
    expect(annotated.sort()).toEqual(
      alarmIds
        .filter((id) => /^Remediation(EscalationsHigh|TimeToFixP90High)/.test(id))
        .map((id) => `getatt:${id}.Arn`)
        .sort(),
    );
  });

  it('is described widget by widget in docs/dashboards.md', () => {
    const doc = readFileSync(join(ROOT, 'docs/dashboards.md'), 'utf8');
    const titles = widgets.flatMap((w) => (w.properties.title ? [w.properties.title] : []));
    expect(titles.filter((t) => !doc.includes(t.replace(/ \([^)]*\)$/, '')))).toEqual([]);
  });

  it('keeps every graph but the ECS ones when the stack runs no services', () => {
    const plain = widgetReferences(dashboardWidgets(synth(false)));
    expect(plain.flatMap((r) => referenceProblems(r, AWS_METRICS))).toEqual([]);
    expect(plain.filter((r) => r.namespace.includes('ECS'))).toEqual([]);
    expect(plain.length).toBe(references.filter((r) => !r.namespace.includes('ECS')).length);
  });
});

describe('the alarms', () => {
  it('watch only what the code emits', () => {
    const alarms = alarmReferences(template);
    expect(alarms.map((a) => a.where).sort()).toEqual(
      [
        'Central-DeadLetterQueueNotEmpty',
        'Central-EscalationsHigh',
        'Central-OldestEventTooOld',
        'Central-TimeToFixP90High',
      ].sort(),
    );
    expect(alarms.flatMap((a) => referenceProblems(a, AWS_METRICS))).toEqual([]);
  });

  it('page on-call for EscalationAlarmCount escalations in an hour and for a p90 time to fix above MttrAlarmSeconds', () => {
    const oncall = { Ref: Match.stringLikeRegexp('^OncallTopic') };
    template.hasParameter('EscalationAlarmCount', { Type: 'Number', Default: 5, MinValue: 1 });
    template.hasParameter('MttrAlarmSeconds', { Type: 'Number', Default: 3600, MinValue: 60 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Central-EscalationsHigh',
      Metrics: [
        Match.objectLike({
          MetricStat: {
            Metric: { Namespace: CLOUDWATCH_NAMESPACE, MetricName: cw('escalations') },
            Period: 3600,
            Stat: 'Sum',
          },
        }),
      ],
      Threshold: { Ref: 'EscalationAlarmCount' },
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [oncall],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Central-TimeToFixP90High',
      Metrics: [
        Match.objectLike({
          MetricStat: {
            Metric: { Namespace: CLOUDWATCH_NAMESPACE, MetricName: cw('timeToVerifiedFix') },
            Period: 3600,
            Stat: 'p90',
          },
        }),
      ],
      Threshold: { Ref: 'MttrAlarmSeconds' },
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [oncall],
    });
  });
});

describe('the CloudWatch checks', () => {
  const good: CloudWatchReference = {
    where: 'test',
    namespace: CLOUDWATCH_NAMESPACE,
    metricName: cw('remediations'),
    dimensions: [D.playbook, D.outcome],
    values: {},
    statistic: 'Sum',
    search: true,
  };

  it('refuse a metric, dimension set or statistic the code does not emit', () => {
    expect(referenceProblems(good, AWS_METRICS)).toEqual([]);
    const wrong: CloudWatchReference[] = [
      { ...good, metricName: 'Remediation' },
      { ...good, metricName: 'FindingsAbsorbed' },
      { ...good, dimensions: [D.playbook] },
      { ...good, dimensions: [] },
      { ...good, metricName: cw('escalations'), dimensions: [D.playbook] },
      { ...good, statistic: 'p90' },
      { ...good, metricName: cw('approvalsWaiting'), dimensions: [], statistic: 'Sum' },
      { ...good, namespace: 'AWS/SQS', metricName: 'NumberOfMessagesSent', dimensions: ['QueueName'] },
      { ...good, namespace: 'Remediators' },
    ];
    for (const ref of wrong) expect(referenceProblems(ref, AWS_METRICS)).not.toEqual([]);
  });

  it('refuse an expression they cannot read, rather than skip it', () => {
    const widget = (expression: string): Widget[] => [
      { type: 'metric', properties: { title: 'x', metrics: [[{ expression }]] } },
    ];
    expect(() => widgetReferences(widget('m1 * 2'))).toThrow(/not one SEARCH/);
    expect(() => widgetReferences(widget(`SEARCH('Remediations', 'Sum', 300)`))).toThrow(/not one SEARCH/);
    expect(() => widgetReferences([{ type: 'metric', properties: { metrics: [['.', 'X']] } }])).toThrow(
      /not \[namespace/,
    );
    const [ref] = widgetReferences(
      widget(`SEARCH('{Remediator,Playbook} MetricName="TimeToVerifiedFix"', 'p90', 3600)`),
    );
    expect(ref).toMatchObject({
      metricName: cw('timeToVerifiedFix'),
      dimensions: [D.playbook],
      search: true,
    });
  });

  it('stop the synth at the source: the construct helpers refuse what the catalogue does not declare', () => {
    const options = { statistic: 'Sum', period: Duration.minutes(5) };
    expect(() => catalogueSearch('remediations', [D.playbook], options)).toThrow(/declare no dimension set/);
    expect(() => catalogueMetric('remediations', options)).toThrow(/declare no dimension set \[\]/);
    expect(() => catalogueMetric('findingsAbsorbed', options)).toThrow(/not sent to CloudWatch/);
    expect(() => catalogueSearch('remediations', [D.outcome], { ...options, statistic: 'p90' })).toThrow(
      /p90 means nothing for a counter/,
    );
  });
});

type GrafanaTarget = { expr: string; legendFormat?: string; datasource?: unknown; refId: string };
type GrafanaPanel = {
  id: number;
  type: string;
  title: string;
  datasource?: unknown;
  targets?: GrafanaTarget[];
  panels?: GrafanaPanel[];
};
type GrafanaDashboard = {
  __inputs: Array<{ name: string; type: string; pluginId: string }>;
  panels: GrafanaPanel[];
  templating: { list: Array<{ name: string; datasource: unknown; query: { query: string } | string }> };
  uid: string;
  title: string;
};

const grafana = JSON.parse(
  readFileSync(join(ROOT, 'docs/grafana-dashboard.json'), 'utf8'),
) as GrafanaDashboard;
const panels = grafana.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');
const targets = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));
const series = queryableSeries(TEMPORAL_SDK_METRICS);
const PROMETHEUS = { type: 'prometheus', uid: '${DS_PROMETHEUS}' };

describe('the Grafana dashboard', () => {
  it('imports with a ${DS_PROMETHEUS} data source input that every panel, query and variable uses', () => {
    expect(grafana.__inputs).toEqual([
      expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }),
    ]);
    expect(grafana.uid).toBe('remediator');
    for (const panel of panels) expect(panel.datasource).toEqual(PROMETHEUS);
    for (const target of targets) expect(target.datasource).toEqual(PROMETHEUS);
    for (const variable of grafana.templating.list) expect(variable.datasource).toEqual(PROMETHEUS);
    expect(new Set(grafana.panels.flatMap((p) => [p, ...(p.panels ?? [])]).map((p) => p.id)).size).toBe(
      grafana.panels.length,
    );
  });

  it("queries only the catalogue's Prometheus series and labels, and the allowed Temporal SDK metrics", () => {
    expect(targets.length).toBeGreaterThanOrEqual(25);
    expect(targets.flatMap((t) => promqlProblems(t.expr, series).map((p) => `${t.panel}: ${p}`))).toEqual([]);
    // Legends show only labels the query keeps (a label aggregated away prints as an empty string).
    for (const t of targets) {
      const shown = [...(t.legendFormat ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]);
      const kept = groupingLabels(t.expr).filter((l) => l !== 'le');
      expect({ panel: t.panel, missing: shown.filter((l) => !kept.includes(l!)) }).toEqual({
        panel: t.panel,
        missing: [],
      });
    }
    for (const variable of grafana.templating.list) {
      const query = typeof variable.query === 'string' ? variable.query : variable.query.query;
      const [, metric, label] = /^label_values\((\w+),\s*(\w+)\)$/.exec(query) ?? [];
      expect(series.get(metric ?? '')?.has(label ?? '')).toBe(true);
    }
  });

  it('has the panels the issue asks for', () => {
    const uses = (name: string, grouping: readonly string[] = [], pattern?: RegExp) =>
      targets.some(
        (t) =>
          selectorNames(t.expr).includes(name) &&
          grouping.every((l) => groupingLabels(t.expr).includes(l)) &&
          (pattern?.test(t.expr) ?? true),
      );
    const mttr = METRICS.timeToVerifiedFix.name;
    const wanted: Array<[string, boolean]> = [
      ['outcomes per playbook', uses(METRICS.remediations.name, ['playbook', 'outcome'])],
      ['MTTR p50', uses(`${mttr}_bucket`, ['le'], /^histogram_quantile\(0\.5,/)],
      ['MTTR p90', uses(`${mttr}_bucket`, ['le'], /^histogram_quantile\(0\.9,/)],
      ['MTTR p90 per playbook', uses(`${mttr}_bucket`, ['le', 'playbook'], /^histogram_quantile\(0\.9,/)],
      ['MTTR mean from _sum and _count', uses(`${mttr}_sum`) && uses(`${mttr}_count`)],
      ['escalations by reason', uses(METRICS.escalations.name, ['reason'])],
      ['approvals waiting', uses(METRICS.approvalsWaiting.name)],
      ['breaker trips', uses(METRICS.breakerTrips.name)],
      ['admission holds', uses(METRICS.admissionHolds.name, ['reason'])],
      ['findings by disposition', uses(METRICS.findingsReceived.name, ['disposition'])],
      ['ingest polls by result', uses(METRICS.ingestPolls.name, ['result'])],
      ['workflow task schedule-to-start', uses('temporal_workflow_task_schedule_to_start_latency_bucket')],
      ['activity failures', uses('temporal_activity_execution_failed')],
      ['sticky cache', uses('temporal_sticky_cache_size')],
    ];
    expect(wanted.filter(([, present]) => !present).map(([what]) => what)).toEqual([]);
  });

  it('allows only Temporal metrics and labels the installed Core SDK defines', () => {
    const sources = join(ROOT, 'node_modules/@temporalio/core-bridge/sdk-core/crates');
    const text = readdirSync(sources, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.rs') && !f.includes('tests'))
      .map((f) => readFileSync(join(sources, f), 'utf8'))
      .join('\n');
    for (const [name, metric] of Object.entries(TEMPORAL_SDK_METRICS)) {
      expect(name).toMatch(/^temporal_/);
      expect({ name, defined: text.includes(`"${name.replace(/^temporal_/, '')}"`) }).toEqual({
        name,
        defined: true,
      });
      for (const label of metric.labels)
        expect({ label, defined: text.includes(`"${label}"`) }).toEqual({
          label,
          defined: true,
        });
    }
  });
});

describe('the PromQL checks', () => {
  it('refuse a series, label, grouping or function nobody emits, and what is not PromQL', () => {
    const wrong = [
      'sum(rate(remediator_remediation_total[5m]))',
      'sum by (reason) (increase(remediator_remediations_total[1h]))',
      'sum(increase(remediator_remediations_total{reason="x"}[1h]))',
      'histogram_quantile(0.9, sum by (le) (rate(remediator_time_to_verified_fix_seconds[1h])))',
      'histogram_quantile(0.9, sum by (le) (rate(remediator_time_to_verified_fix_seconds_count[1h])))',
      'sum by (le) (rate(remediator_time_to_verified_fix_seconds_bucket[1h])',
      'histogram_quantil(0.9, sum by (le) (rate(remediator_time_to_verified_fix_seconds_bucket[1h])))',
      'sum(temporal_workflow_completed)',
      'sum by (activity_type) (temporal_sticky_cache_size)',
      '1 + 1',
    ];
    for (const expr of wrong)
      expect({ expr, problems: promqlProblems(expr, series).length > 0 }).toEqual({
        expr,
        problems: true,
      });
    expect(
      promqlProblems(
        'histogram_quantile(0.9, sum by (le, playbook) (rate(remediator_time_to_verified_fix_seconds_bucket{playbook=~"$playbook"}[$__rate_interval])))',
        series,
      ),
    ).toEqual([]);
  });
});
