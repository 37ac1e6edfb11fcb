/**
 * Conformance setup of `asg-scale-out`: a group at 1 of max 3 whose CPU alarm (no actions) is in ALARM, or already OK.
 * The alarm has the name the event fixture gives it (`high-cpu-alarm`): the end-to-end test points only the fixture's
 * resource id at the group made here. Each case puts the alarm again, on its own group.
 */
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  DescribeAutoScalingGroupsCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { randomUUID } from 'node:crypto';
import type { Finding } from '../../../src/domain/finding';
import { asgScaleOut } from '../../../src/playbooks/asg-scale-out';
import { TEST_CREDENTIALS } from '../../helpers/aws';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';

/** The alarm name of examples/events/cloudwatch-alarm-high-cpu.json. */
const ALARM = 'high-cpu-alarm';
const DESIRED = 1;
const MAX = 3;
/** How long `settle` waits for the raised capacity (the end-to-end run has a minute). */
const SETTLE_MS = 60_000;

/** An alarm finding about `group`, as the CloudWatch normaliser makes it. */
const finding = (env: ConformanceEnv, group: string): Finding => ({
  source: 'aws.cloudwatch',
  control: 'AWS/EC2/CPUUtilization',
  state: 'FAILED',
  resource: {
    account: env.account,
    region: env.region,
    resourceType: 'AWS::AutoScaling::AutoScalingGroup',
    resourceId: group,
  },
  severity: 6,
  title: `CloudWatch alarm ${ALARM} is ALARM`,
  observedAt: new Date().toISOString(),
  eventId: `evt-${env.unique}`,
  details: { alarmName: ALARM, alarmState: 'ALARM' },
});

const clientConfig = (env: ConformanceEnv) => ({
  endpoint: env.endpoint,
  region: env.region,
  credentials: TEST_CREDENTIALS,
});

async function group(env: ConformanceEnv, alarmState: 'ALARM' | 'OK'): Promise<Finding> {
  const config = clientConfig(env);
  const ec2 = new EC2Client(config);
  const autoscaling = new AutoScalingClient(config);
  const cloudwatch = new CloudWatchClient(config);
  try {
    const name = `web-asg-${env.unique}`;
    const imageId = (await ec2.send(new DescribeImagesCommand({}))).Images?.find((i) => i.ImageId)?.ImageId;
    await autoscaling.send(
      new CreateLaunchConfigurationCommand({
        LaunchConfigurationName: name,
        ImageId: imageId,
        InstanceType: 't3.micro',
      }),
    );
    await autoscaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: name,
        LaunchConfigurationName: name,
        MinSize: 0,
        MaxSize: MAX,
        DesiredCapacity: DESIRED,
        AvailabilityZones: [`${env.region}a`],
      }),
    );
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: ALARM,
        Namespace: 'AWS/EC2',
        MetricName: 'CPUUtilization',
        Dimensions: [{ Name: 'AutoScalingGroupName', Value: name }],
        Statistic: 'Average',
        Period: 300,
        EvaluationPeriods: 2,
        Threshold: 80,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
    );
    await cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: ALARM, StateValue: alarmState, StateReason: 'conformance' }),
    );
    return finding(env, name);
  } finally {
    ec2.destroy();
    autoscaling.destroy();
    cloudwatch.destroy();
  }
}

export const setup: ConformanceSetup = {
  playbook: asgScaleOut,
  events: ['cloudwatch-alarm-high-cpu.json'],
  nonCompliant: (env) => group(env, 'ALARM'),
  compliant: (env) => group(env, 'OK'),
  gone: (env) => finding(env, `web-asg-${randomUUID()}`),
  // The added capacity takes the load: once the desired capacity is raised, the alarm returns to OK.
  async settle(env, found) {
    const config = clientConfig(env);
    const autoscaling = new AutoScalingClient(config);
    const cloudwatch = new CloudWatchClient(config);
    try {
      const until = Date.now() + SETTLE_MS;
      for (;;) {
        const desired = (
          await autoscaling.send(
            new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [found.resource.resourceId] }),
          )
        ).AutoScalingGroups?.[0]?.DesiredCapacity;
        if ((desired ?? 0) > DESIRED) break;
        if (Date.now() > until) {
          throw new Error(`${found.resource.resourceId}: desired capacity still ${desired ?? '?'}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      await cloudwatch.send(
        new SetAlarmStateCommand({
          AlarmName: found.details.alarmName ?? ALARM,
          StateValue: 'OK',
          StateReason: 'load gone',
        }),
      );
    } finally {
      autoscaling.destroy();
      cloudwatch.destroy();
    }
  },
};
