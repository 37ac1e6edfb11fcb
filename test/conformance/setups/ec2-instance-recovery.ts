/**
 * Conformance setup of `ec2-instance-recovery`: a running EBS-backed instance outside any Auto Scaling group, its
 * `StatusCheckFailed_System` alarm (no `ec2:recover` action) in ALARM, and the policy allowing stop and start; or the
 * alarm already back to OK. Settling is the status check passing again once the instance runs after the stop
 * and start: the alarm returns to OK. The alarm keeps the fixture's name, so the end-to-end event finds it.
 */
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { randomUUID } from 'node:crypto';
import type { Finding } from '../../../src/domain/finding';
import { ec2InstanceRecovery, STOP_START_TAG } from '../../../src/playbooks/ec2-instance-recovery';
import { TEST_CREDENTIALS } from '../../helpers/aws';
import { launchInstance } from '../../helpers/ec2';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';

/** The alarm name of examples/events/cloudwatch-alarm-status-check-failed.json. */
const ALARM = 'ec2-recovery-alarm';

const finding = (env: ConformanceEnv, instanceId: string): Finding => ({
  source: 'aws.cloudwatch',
  control: 'AWS/EC2/StatusCheckFailed_System',
  state: 'FAILED',
  resource: {
    account: env.account,
    region: env.region,
    resourceType: 'AWS::EC2::Instance',
    resourceId: instanceId,
  },
  severity: 6,
  title: `${ALARM} is in ALARM`,
  observedAt: new Date().toISOString(),
  eventId: `evt-${env.unique}`,
  details: { alarmName: ALARM, alarmState: 'ALARM' },
});

const clientsOf = (env: ConformanceEnv) => {
  const common = { endpoint: env.endpoint, region: env.region, credentials: TEST_CREDENTIALS };
  return { ec2: new EC2Client(common), cloudwatch: new CloudWatchClient(common) };
};

async function alarmState(cloudwatch: CloudWatchClient, StateValue: 'OK' | 'ALARM') {
  await cloudwatch.send(
    new SetAlarmStateCommand({ AlarmName: ALARM, StateValue, StateReason: 'conformance' }),
  );
}

async function failing(env: ConformanceEnv, state: 'OK' | 'ALARM') {
  const { ec2, cloudwatch } = clientsOf(env);
  try {
    const instanceId = await launchInstance(ec2);
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: ALARM,
        Namespace: 'AWS/EC2',
        MetricName: 'StatusCheckFailed_System',
        Dimensions: [{ Name: 'InstanceId', Value: instanceId }],
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 2,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [],
      }),
    );
    await alarmState(cloudwatch, state);
    return finding(env, instanceId);
  } finally {
    ec2.destroy();
    cloudwatch.destroy();
  }
}

export const setup: ConformanceSetup = {
  playbook: ec2InstanceRecovery,
  options: { stopStartWithoutRecoverAction: true },
  optionsEndToEnd: true,
  events: ['cloudwatch-alarm-status-check-failed.json'],
  nonCompliant: (env) => failing(env, 'ALARM'),
  compliant: (env) => failing(env, 'OK'),
  gone: (env) => finding(env, `i-${randomUUID().replace(/-/g, '').slice(0, 17)}`),
  async settle(env, { resource }) {
    const { ec2, cloudwatch } = clientsOf(env);
    try {
      // Once the instance runs again after its stop and start (the tag records the stop), its check passes.
      for (let i = 0; i < 300; i += 1) {
        const instance = (
          await ec2.send(new DescribeInstancesCommand({ InstanceIds: [resource.resourceId] }))
        ).Reservations?.[0]?.Instances?.[0];
        const stopped = instance?.Tags?.some((t) => t.Key === STOP_START_TAG);
        if (stopped && instance?.State?.Name === 'running') return alarmState(cloudwatch, 'OK');
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`${resource.resourceId} was not stopped and started within 30 s`);
    } finally {
      ec2.destroy();
      cloudwatch.destroy();
    }
  },
};
