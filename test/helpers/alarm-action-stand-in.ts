/**
 * The step of CloudWatch that moto 5.2.1 does not perform: running an alarm's actions when its state changes. moto's
 * CloudWatch stores `AlarmActions` and `SetAlarmState` updates the state, but nothing publishes to the topics (its
 * `Alarm.update_state` only records history; nothing in moto evaluates alarms or reads their actions). This stand-in
 * reads the alarm back from moto and publishes what CloudWatch would to each SNS topic among the actions of the new
 * state: the notification JSON (AlarmName, NewStateValue, OldStateValue, Trigger, …) with an `ALARM: "<name>" in
 * <region>` subject. It proves the wiring (the alarm's actions name the topic, the topic delivers to subscribers); the
 * permissions real CloudWatch needs (topic policy, key policy) are the CDK tests' to check, as moto enforces none.
 */
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { CloudWatchClient, MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { PublishCommand } from '@aws-sdk/client-sns';
import type { SNSClient } from '@aws-sdk/client-sns';

/** The SNS topics among `alarm`'s actions for its current state, when actions are enabled. */
function topicActions(alarm: MetricAlarm): string[] {
  if (alarm.ActionsEnabled === false) return [];
  const byState: Record<string, string[] | undefined> = {
    ALARM: alarm.AlarmActions,
    OK: alarm.OKActions,
    INSUFFICIENT_DATA: alarm.InsufficientDataActions,
  };
  return (byState[alarm.StateValue ?? ''] ?? []).filter((arn) => arn.startsWith('arn:aws:sns:'));
}

/** CloudWatch's notification body for a state change of `alarm`. */
function notification(alarm: MetricAlarm, oldState: string, account: string, region: string): string {
  return JSON.stringify({
    AlarmName: alarm.AlarmName,
    AlarmDescription: alarm.AlarmDescription ?? null,
    AWSAccountId: account,
    NewStateValue: alarm.StateValue,
    NewStateReason: alarm.StateReason,
    StateChangeTime: (alarm.StateUpdatedTimestamp ?? new Date()).toISOString(),
    Region: region,
    AlarmArn: alarm.AlarmArn,
    OldStateValue: oldState,
    Trigger: {
      MetricName: alarm.MetricName,
      Namespace: alarm.Namespace,
      StatisticType: 'Statistic',
      Statistic: alarm.Statistic?.toUpperCase(),
      Unit: alarm.Unit ?? null,
      Dimensions: (alarm.Dimensions ?? []).map((d) => ({ value: d.Value, name: d.Name })),
      Period: alarm.Period,
      EvaluationPeriods: alarm.EvaluationPeriods,
      ComparisonOperator: alarm.ComparisonOperator,
      Threshold: alarm.Threshold,
    },
  });
}

/**
 * Runs the actions of `alarmName` for the state it is in now (it was in `oldState` before), as CloudWatch would;
 * returns the topics it published to.
 */
export async function runAlarmActions(
  clients: { readonly cloudwatch: CloudWatchClient; readonly sns: SNSClient },
  alarmName: string,
  oldState: string,
  where: { readonly account: string; readonly region: string },
): Promise<string[]> {
  const out = await clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [alarmName] }));
  const alarm = out.MetricAlarms?.[0];
  if (!alarm) throw new Error(`no alarm ${alarmName}`);
  const topics = topicActions(alarm);
  for (const topicArn of topics) {
    await clients.sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: `${alarm.StateValue}: "${alarmName}" in ${where.region}`.slice(0, 100),
        Message: notification(alarm, oldState, where.account, where.region),
      }),
    );
  }
  return topics;
}
