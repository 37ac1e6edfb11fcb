/**
 * The CloudWatch dashboard of the remediator and the two alarms on its outcomes (docs/dashboards.md): remediations by
 * playbook and outcome, time to verified fix (MTTR), escalations, approvals waiting, circuit-breaker trips and
 * admission holds, findings received, the ingest queue and its dead-letter queue, and the worker's and the bridge's
 * health. Every remediator metric comes from the catalogue (catalogue-metrics.ts), which the worker and the bridge
 * write as EMF log lines when `METRICS_EMF=true` (worker-service.ts sets it).
 */
import { CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DIMENSION_NAMES } from '../../src/metrics/catalogue';
import { catalogueMetric, catalogueSearch } from './catalogue-metrics';

/** The names of the dashboard's alarms in `scope`'s stack, known before they exist (alarm-paging.ts admits them). */
export function dashboardAlarmNames(scope: Construct): { escalations: string; mttr: string } {
  const stackName = Stack.of(scope).stackName;
  return { escalations: `${stackName}-EscalationsHigh`, mttr: `${stackName}-TimeToFixP90High` };
}

/** What the dashboard watches. */
export interface RemediationDashboardProps {
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  /** The dashboard's alarms page this topic; it must admit them (alarm-paging.ts, `dashboardAlarmNames`). */
  readonly oncall: sns.ITopic;
  /** The stack's other alarms, shown in the alarm status row. */
  readonly systemAlarms: readonly cloudwatch.IAlarm[];
  /** The Fargate services, when the stack runs them (their CPU, memory and running tasks). */
  readonly services?: { readonly worker: ecs.FargateService; readonly ingest: ecs.FargateService };
}

const HOUR = Duration.hours(1);
const FIVE_MINUTES = Duration.minutes(5);
const MINUTE = Duration.minutes(1);
const D = DIMENSION_NAMES;

/** The dashboard and its alarms. */
export class RemediationDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  /** Escalations in an hour at or above `EscalationAlarmCount`. */
  readonly escalationsAlarm: cloudwatch.Alarm;
  /** The hour's p90 time to verified fix above `MttrAlarmSeconds`. */
  readonly timeToFixAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: RemediationDashboardProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const names = dashboardAlarmNames(this);
    const escalationCount = new CfnParameter(stack, 'EscalationAlarmCount', {
      type: 'Number',
      default: 5,
      minValue: 1,
      description:
        'Page on-call when this many escalations or more happen in one hour (each escalation pages on its own; ' +
        'this many says something systemic: permissions, an outage, a bad playbook).',
    });
    const mttrSeconds = new CfnParameter(stack, 'MttrAlarmSeconds', {
      type: 'Number',
      default: 3600,
      minValue: 60,
      description:
        "Page on-call when the hour's p90 time from a finding to its verified fix is above this many seconds " +
        '(approval waits count: raise it when the policy asks for approvals).',
    });

    // An escalation count, not a rate: a rate needs all remediations without a dimension, which the catalogue does not
    // emit, and alarms take no SEARCH (docs/dashboards.md).
    this.escalationsAlarm = new cloudwatch.Alarm(this, 'EscalationsHigh', {
      alarmName: names.escalations,
      metric: catalogueMetric('escalations', { statistic: 'Sum', period: HOUR, label: 'escalations' }),
      threshold: escalationCount.valueAsNumber,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No escalation, no EMF line: an hour without data is a quiet hour.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription:
        'EscalationAlarmCount or more escalations to people in an hour: see Escalations by reason on the dashboard.',
    });
    this.timeToFixAlarm = new cloudwatch.Alarm(this, 'TimeToFixP90High', {
      alarmName: names.mttr,
      metric: catalogueMetric('timeToVerifiedFix', { statistic: 'p90', period: HOUR, label: 'p90' }),
      threshold: mttrSeconds.valueAsNumber,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription:
        "The hour's p90 time from finding to verified fix is above MttrAlarmSeconds: see MTTR by playbook.",
    });
    for (const alarm of [this.escalationsAlarm, this.timeToFixAlarm]) {
      alarm.addAlarmAction(new cwActions.SnsAction(props.oncall));
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${stack.stackName}-Remediation`,
      defaultInterval: Duration.days(1),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          '## remediator\nOutcomes, time to verified fix, escalations, approvals and the ingest path. Each graph ' +
          'is described in docs/dashboards.md of the remediator repository.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: [...props.systemAlarms, this.escalationsAlarm, this.timeToFixAlarm],
        width: 24,
        height: 3,
      }),
    );
    this.dashboard.addWidgets(...this.outcomeWidgets());
    this.dashboard.addWidgets(...this.timeToFixWidgets());
    this.dashboard.addWidgets(...this.escalationWidgets());
    this.dashboard.addWidgets(...this.controlWidgets());
    this.dashboard.addWidgets(...this.ingestWidgets(props));
    this.dashboard.addWidgets(...this.healthWidgets(props));
  }

  private outcomeWidgets(): cloudwatch.IWidget[] {
    return [
      graph('Remediations by playbook and outcome (per hour)', {
        left: [catalogueSearch('remediations', [D.playbook, D.outcome], { statistic: 'Sum', period: HOUR })],
        stacked: true,
        width: 16,
      }),
      graph('Remediations by outcome (per hour)', {
        left: [catalogueSearch('remediations', [D.outcome], { statistic: 'Sum', period: HOUR })],
        stacked: true,
        width: 8,
      }),
    ];
  }

  private timeToFixWidgets(): cloudwatch.IWidget[] {
    const mttr = (statistic: string) =>
      catalogueMetric('timeToVerifiedFix', { statistic, period: HOUR, label: statistic });
    const byPlaybook = (statistic: string) =>
      catalogueSearch('timeToVerifiedFix', [D.playbook], { statistic, period: HOUR });
    return [
      graph('MTTR p50 and p90 (seconds, finding to verified fix)', {
        left: [mttr('p50'), mttr('p90')],
        leftYAxis: { min: 0, label: 'seconds', showUnits: false },
      }),
      graph('MTTR p50 by playbook (seconds)', {
        left: [byPlaybook('p50')],
        leftYAxis: { min: 0, label: 'seconds', showUnits: false },
      }),
      graph('MTTR p90 by playbook (seconds)', {
        left: [byPlaybook('p90')],
        leftYAxis: { min: 0, label: 'seconds', showUnits: false },
      }),
    ];
  }

  private escalationWidgets(): cloudwatch.IWidget[] {
    return [
      graph('Escalations by reason (per hour)', {
        left: [catalogueSearch('escalations', [D.reason], { statistic: 'Sum', period: HOUR })],
        stacked: true,
      }),
      new cloudwatch.AlarmWidget({
        title: 'Escalations per hour against EscalationAlarmCount',
        alarm: this.escalationsAlarm,
        width: 8,
        height: 6,
      }),
      new cloudwatch.AlarmWidget({
        title: 'MTTR p90 per hour against MttrAlarmSeconds',
        alarm: this.timeToFixAlarm,
        width: 8,
        height: 6,
      }),
    ];
  }

  private controlWidgets(): cloudwatch.IWidget[] {
    return [
      graph('Approvals waiting', {
        left: [
          catalogueMetric('approvalsWaiting', {
            statistic: 'Maximum',
            period: FIVE_MINUTES,
            label: 'waiting',
          }),
        ],
        leftYAxis: { min: 0 },
        width: 6,
      }),
      graph('Approval wait p90 by playbook (seconds)', {
        left: [catalogueSearch('approvalWait', [D.playbook], { statistic: 'p90', period: HOUR })],
        leftYAxis: { min: 0, label: 'seconds', showUnits: false },
        width: 6,
      }),
      graph('Breaker trips and admission holds (per hour)', {
        left: [
          catalogueMetric('breakerTrips', { statistic: 'Sum', period: HOUR, label: 'breaker trips' }),
          catalogueSearch('admissionHolds', [D.reason], { statistic: 'Sum', period: HOUR }),
        ],
        width: 6,
      }),
      graph('Breaker trips by playbook (per hour)', {
        left: [catalogueSearch('breakerTrips', [D.playbook], { statistic: 'Sum', period: HOUR })],
        width: 6,
      }),
    ];
  }

  private ingestWidgets(props: RemediationDashboardProps): cloudwatch.IWidget[] {
    return [
      graph('Findings received by disposition (per hour)', {
        left: [catalogueSearch('findingsReceived', [D.disposition], { statistic: 'Sum', period: HOUR })],
        stacked: true,
        width: 6,
      }),
      graph('Findings received by source and disposition (per hour)', {
        left: [
          catalogueSearch('findingsReceived', [D.source, D.disposition], { statistic: 'Sum', period: HOUR }),
        ],
        width: 6,
      }),
      graph('Ingest queue: depth and age of oldest message', {
        left: [
          props.queue.metricApproximateNumberOfMessagesVisible({
            period: MINUTE,
            statistic: 'Maximum',
            label: 'messages visible',
          }),
        ],
        right: [
          props.queue.metricApproximateAgeOfOldestMessage({
            period: MINUTE,
            statistic: 'Maximum',
            label: 'oldest message age (s)',
          }),
        ],
        leftYAxis: { min: 0 },
        rightYAxis: { min: 0, label: 'seconds', showUnits: false },
        width: 6,
      }),
      graph('Dead-letter queue depth', {
        left: [
          props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period: MINUTE,
            statistic: 'Maximum',
            label: 'dead-lettered messages',
          }),
        ],
        leftYAxis: { min: 0 },
        width: 6,
      }),
    ];
  }

  private healthWidgets(props: RemediationDashboardProps): cloudwatch.IWidget[] {
    const polls = graph('Ingest polls by result (bridge alive and reaching SQS)', {
      left: [catalogueSearch('ingestPolls', [D.result], { statistic: 'Sum', period: FIVE_MINUTES })],
      width: props.services ? 8 : 12,
    });
    const rollbacks = graph('Rollbacks by result (per hour)', {
      left: [catalogueSearch('rollbacks', [D.result], { statistic: 'Sum', period: HOUR })],
      width: props.services ? 4 : 12,
    });
    if (!props.services) return [polls, rollbacks];
    const { worker, ingest } = props.services;
    const usage = (service: ecs.FargateService, name: string) => [
      service.metricCpuUtilization({ period: FIVE_MINUTES, label: `${name} CPU %` }),
      service.metricMemoryUtilization({ period: FIVE_MINUTES, label: `${name} memory %` }),
    ];
    // Container Insights (enabled on the cluster, worker-service.ts) counts the tasks that run.
    const running = (service: ecs.FargateService, name: string) =>
      new cloudwatch.Metric({
        namespace: 'ECS/ContainerInsights',
        metricName: 'RunningTaskCount',
        dimensionsMap: { ClusterName: service.cluster.clusterName, ServiceName: service.serviceName },
        statistic: 'Minimum',
        period: MINUTE,
        label: `${name} tasks running`,
      });
    return [
      graph('Worker and bridge CPU and memory (%)', {
        left: [...usage(worker, 'worker'), ...usage(ingest, 'bridge')],
        leftYAxis: { min: 0, max: 100 },
        width: 8,
      }),
      graph('Worker and bridge running tasks', {
        left: [running(worker, 'worker'), running(ingest, 'bridge')],
        leftYAxis: { min: 0 },
        width: 4,
      }),
      polls,
      rollbacks,
    ];
  }
}

/** A line graph, 8 of the dashboard's 24 columns wide unless told. */
function graph(title: string, props: Omit<cloudwatch.GraphWidgetProps, 'title'>): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, width: 8, height: 6, ...props });
}
