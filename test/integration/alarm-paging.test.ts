/**
 * The system alarm that pages on-call when anything is dead-lettered, end to end on moto: the alarm exactly as the
 * central stack defines it (read from the synthesized template), on a KMS-encrypted on-call topic with an SQS "on-call
 * capture" queue subscribed, driven into ALARM.
 *
 * What moto does and does not do (moto 5.2.1, read in moto/cloudwatch/models.py): PutMetricAlarm stores the alarm
 * with its actions and SetAlarmState changes its state, but no alarm action ever runs: `set_alarm_state` only calls
 * `Alarm.update_state`, which records history, and nothing evaluates metrics against alarms. So the test drives the
 * alarm with SetAlarmState, checks that moto itself delivers nothing (if that ever fails, moto runs actions now and
 * the stand-in should go), then runs the alarm's actions with a stand-in for that CloudWatch step
 * (alarm-action-stand-in.ts) and checks that the notification reaches the capture queue through the encrypted topic.
 * The permissions real CloudWatch needs to publish there are checked on the template (ingest-hardening.test.ts).
 */
import { randomUUID } from 'node:crypto';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import type { PutMetricAlarmCommandInput } from '@aws-sdk/client-cloudwatch';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateTopicCommand, GetTopicAttributesCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CentralStack } from '../../infra/lib/central-stack';
import type { MotoServer } from '../../src/devstack/moto-server';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';
import { runAlarmActions } from '../helpers/alarm-action-stand-in';
import { drainQueue, FIXTURE_ACCOUNT, FIXTURE_REGION, rawClients, TEST_CREDENTIALS } from '../helpers/aws';
import { startSuiteMoto } from '../helpers/servers';

let moto: MotoServer;
let raw: ReturnType<typeof rawClients>;
let cloudwatch: CloudWatchClient;
let kms: KMSClient;

beforeAll(async () => {
  moto = await startSuiteMoto();
  raw = rawClients(moto.endpoint);
  const common = { endpoint: moto.endpoint, region: FIXTURE_REGION, credentials: TEST_CREDENTIALS };
  cloudwatch = new CloudWatchClient(common);
  kms = new KMSClient(common);
});
afterAll(async () => {
  cloudwatch?.destroy();
  kms?.destroy();
  await moto?.stop();
});

type CfnAlarm = { Properties: Record<string, unknown> };

/** The central stack's alarms as CloudFormation has them. */
function stackAlarms(): Record<string, CfnAlarm> {
  const app = new App();
  const stack = new CentralStack(app, 'RemediatorCentral', {
    policy: DEFAULT_POLICY,
    managedAlarmNames: [],
    env: { account: FIXTURE_ACCOUNT, region: FIXTURE_REGION },
  });
  const all = Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm') as Record<string, CfnAlarm>;
  // The queue's alarms; the outcome alarms on the remediator's own metrics are held by dashboard-metrics.test.ts.
  return Object.fromEntries(
    Object.entries(all).filter(([, a]) => (a.Properties as { Namespace?: string }).Namespace === 'AWS/SQS'),
  );
}

/**
 * The PutMetricAlarm input for a template alarm, its references (`Ref`, `Fn::GetAtt`, written `LogicalId` and
 * `LogicalId.Attribute`) replaced by the moto resources they stand for; an unmapped reference fails the test.
 */
function putMetricAlarmInput(
  alarm: CfnAlarm,
  references: readonly (readonly [RegExp, string])[],
): PutMetricAlarmCommandInput {
  const resolve = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const object = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
    const id = object.Ref ?? object['Fn::GetAtt']?.join('.') ?? '';
    const found = references.find(([pattern]) => pattern.test(id));
    if (!found) throw new Error(`unmapped reference ${JSON.stringify(value)}`);
    return found[1];
  };
  const p = alarm.Properties as {
    AlarmName: string;
    AlarmDescription: string;
    AlarmActions: unknown[];
    ComparisonOperator: PutMetricAlarmCommandInput['ComparisonOperator'];
    Dimensions: { Name: string; Value: unknown }[];
    EvaluationPeriods: number;
    MetricName: string;
    Namespace: string;
    Period: number;
    Statistic: PutMetricAlarmCommandInput['Statistic'];
    Threshold: number;
  };
  return {
    AlarmName: p.AlarmName,
    AlarmDescription: p.AlarmDescription,
    AlarmActions: p.AlarmActions.map(resolve),
    ComparisonOperator: p.ComparisonOperator,
    Dimensions: p.Dimensions.map((d) => ({ Name: d.Name, Value: resolve(d.Value) })),
    EvaluationPeriods: p.EvaluationPeriods,
    MetricName: p.MetricName,
    Namespace: p.Namespace,
    Period: p.Period,
    Statistic: p.Statistic,
    Threshold: p.Threshold,
  };
}

it('pages the on-call topic’s subscribers when something is dead-lettered (alarm actions by a stand-in: moto runs none)', async () => {
  // Prepare: the on-call topic encrypted with a KMS key, an on-call capture queue subscribed, the dead-letter queue.
  const id = randomUUID().slice(0, 8);
  const key = await kms.send(new CreateKeyCommand({ Description: 'remediator key (test)' }));
  const keyArn = key.KeyMetadata!.Arn!;
  const { TopicArn } = await raw.sns.send(
    new CreateTopicCommand({ Name: `oncall-${id}`, Attributes: { KmsMasterKeyId: keyArn } }),
  );
  const topicArn = TopicArn!;
  const capture = await raw.sqs.send(new CreateQueueCommand({ QueueName: `oncall-capture-${id}` }));
  const captureArn = (
    await raw.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: capture.QueueUrl, AttributeNames: ['QueueArn'] }),
    )
  ).Attributes!.QueueArn!;
  await raw.sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: captureArn }));
  const dlqName = `ingest-dlq-${id}`;
  const dlq = await raw.sqs.send(new CreateQueueCommand({ QueueName: dlqName }));
  const queueName = `ingest-${id}`;
  const references = [
    [/^OncallTopic[0-9A-F]{8}$/, topicArn],
    [/^IngestDeadLetterQueue[0-9A-F]{8}\.QueueName$/, dlqName],
    [/^IngestQueue[0-9A-F]{8}\.QueueName$/, queueName],
  ] as const;
  // Both system alarms, as the stack defines them.
  const alarms = stackAlarms();
  const inputs = Object.values(alarms).map((a) => putMetricAlarmInput(a, references));
  for (const input of inputs) await cloudwatch.send(new PutMetricAlarmCommand(input));
  const deadLetters = inputs.find((i) => i.MetricName === 'ApproximateNumberOfMessagesVisible')!;
  expect(deadLetters).toMatchObject({
    AlarmName: 'RemediatorCentral-DeadLetterQueueNotEmpty',
    Namespace: 'AWS/SQS',
    Dimensions: [{ Name: 'QueueName', Value: dlqName }],
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    Threshold: 1,
    AlarmActions: [topicArn],
  });
  const before = (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [deadLetters.AlarmName!] })))
    .MetricAlarms![0]!;
  // Something is dead-lettered, as the bridge does it (the metric itself moto never computes).
  await raw.sqs.send(
    new SendMessageCommand({
      QueueUrl: dlq.QueueUrl,
      MessageBody: '{not json',
      MessageAttributes: { ErrorReason: { DataType: 'String', StringValue: 'not JSON' } },
    }),
  );

  // Act: the alarm goes into ALARM (SetAlarmState: moto evaluates no metric).
  await cloudwatch.send(
    new SetAlarmStateCommand({
      AlarmName: deadLetters.AlarmName,
      StateValue: 'ALARM',
      StateReason: 'Threshold Crossed: 1 datapoint [1.0] was greater than or equal to the threshold (1.0).',
    }),
  );

  // Assess: moto holds the alarm in ALARM with the stack's action, on the encrypted topic, and has delivered nothing.
  const after = (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [deadLetters.AlarmName!] })))
    .MetricAlarms![0]!;
  expect(after).toMatchObject({ StateValue: 'ALARM', AlarmActions: [topicArn] });
  const topic = await raw.sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }));
  expect(topic.Attributes?.KmsMasterKeyId).toBe(keyArn);
  expect(await drainQueue(raw.sqs, capture.QueueUrl!, 1, 1500)).toEqual([]);

  // Act: CloudWatch's step, by the stand-in.
  const published = await runAlarmActions(
    { cloudwatch, sns: raw.sns },
    deadLetters.AlarmName!,
    before.StateValue!,
    {
      account: FIXTURE_ACCOUNT,
      region: FIXTURE_REGION,
    },
  );

  // Assess: the notification reached on-call's capture queue, through the encrypted topic.
  expect(published).toEqual([topicArn]);
  const pages = await drainQueue(raw.sqs, capture.QueueUrl!, 1, 5000);
  expect(pages).toHaveLength(1);
  const envelope = JSON.parse(pages[0]!.Body ?? '{}') as {
    TopicArn?: string;
    Subject?: string;
    Message?: string;
  };
  expect(envelope.TopicArn).toBe(topicArn);
  expect(envelope.Subject).toBe(`ALARM: "RemediatorCentral-DeadLetterQueueNotEmpty" in ${FIXTURE_REGION}`);
  expect(JSON.parse(envelope.Message ?? '{}')).toMatchObject({
    AlarmName: 'RemediatorCentral-DeadLetterQueueNotEmpty',
    NewStateValue: 'ALARM',
    OldStateValue: before.StateValue,
    Trigger: {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Dimensions: [{ name: 'QueueName', value: dlqName }],
    },
  });
});
