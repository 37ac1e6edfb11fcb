/**
 * An Auto Scaling group at 1 of max 3 whose CPU alarm (no actions) is in ALARM, in moto: the scale-out playbook's
 * scene. moto evaluates no alarms, so the state is set by hand.
 */
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  DescribeAutoScalingGroupsCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import type { Finding } from '../../src/domain/finding';
import { FIXTURE_REGION, TEST_CREDENTIALS } from './aws';
import { launchInstance, motoEc2 } from './ec2';
import { alarmFinding } from './fixtures';

/** Creates the group `name` and its alarm `<name>-cpu` in ALARM; returns the alarm finding and moto helpers. */
export async function cpuAlarmGroup(endpoint: string, name: string) {
  const common = { endpoint, region: FIXTURE_REGION, credentials: TEST_CREDENTIALS };
  const ec2 = motoEc2(endpoint);
  const autoscaling = new AutoScalingClient(common);
  const cloudwatch = new CloudWatchClient(common);
  const seed = await launchInstance(ec2);
  const instance = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [seed] }))).Reservations?.[0]
    ?.Instances?.[0];
  await autoscaling.send(
    new CreateLaunchConfigurationCommand({
      LaunchConfigurationName: `${name}-lc`,
      ImageId: instance?.ImageId,
      InstanceType: 't3.micro',
    }),
  );
  await autoscaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: name,
      LaunchConfigurationName: `${name}-lc`,
      MinSize: 0,
      MaxSize: 3,
      DesiredCapacity: 1,
      VPCZoneIdentifier: instance?.SubnetId,
    }),
  );
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: `${name}-cpu`,
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
  const setAlarm = (state: 'OK' | 'ALARM') =>
    cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: `${name}-cpu`, StateValue: state, StateReason: 'test' }),
    );
  await setAlarm('ALARM');
  const finding: Finding = alarmFinding(
    'AWS::AutoScaling::AutoScalingGroup',
    name,
    'AWS/EC2/CPUUtilization',
    `${name}-cpu`,
  );
  return {
    finding,
    setAlarm,
    desired: async () =>
      (await autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] })))
        .AutoScalingGroups?.[0]?.DesiredCapacity,
    destroy: () => {
      ec2.destroy();
      autoscaling.destroy();
      cloudwatch.destroy();
    },
  };
}
