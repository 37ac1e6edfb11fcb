/**
 * The CloudWatch-alarm playbooks against moto: instance recovery (verify the alarm's ec2:recover, stop/start only by
 * policy) and Auto Scaling scale-out (verify the alarm's own scaling, else +1 within max, compensation restores).
 */
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeInstancesCommand, DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { createPlaybooks } from '../../src/activities';
import { createRemediationActivities } from '../../src/activities/remediation-activities';
import type { AwsClients } from '../../src/aws/clients';
import type { MotoServer } from '../../src/devstack/moto-server';
import { stateDifferences } from '../../src/domain/rollback';
import { alarmFinding } from '../helpers/fixtures';
import { FIXTURE_ACCOUNT, FIXTURE_REGION, motoClients, TEST_CREDENTIALS } from '../helpers/aws';
import { launchInstance, motoEc2 } from '../helpers/ec2';
import { runActivity } from '../helpers/activity-env';
import { startSuiteMoto } from '../helpers/servers';

let moto: MotoServer;
let clients: AwsClients;
let ec2: EC2Client;
let cloudwatch: CloudWatchClient;
let autoscaling: AutoScalingClient;
let activities: ReturnType<typeof createRemediationActivities>;
const run = runActivity;

beforeAll(async () => {
  moto = await startSuiteMoto();
  clients = motoClients(moto.endpoint);
  ec2 = motoEc2(moto.endpoint);
  const common = { endpoint: moto.endpoint, region: FIXTURE_REGION, credentials: TEST_CREDENTIALS };
  cloudwatch = new CloudWatchClient(common);
  autoscaling = new AutoScalingClient(common);
  activities = createRemediationActivities(createPlaybooks(clients));
});
afterAll(async () => {
  clients?.destroy();
  ec2?.destroy();
  cloudwatch?.destroy();
  autoscaling?.destroy();
  await moto?.stop();
});
beforeEach(() => moto.reset());

async function alarm(
  name: string,
  dimension: { Name: string; Value: string },
  metric: string,
  actions: string[],
) {
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      Namespace: 'AWS/EC2',
      MetricName: metric,
      Dimensions: [dimension],
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 2,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: actions,
    }),
  );
  await cloudwatch.send(
    new SetAlarmStateCommand({ AlarmName: name, StateValue: 'ALARM', StateReason: 'test' }),
  );
}

describe('ec2-instance-recovery', () => {
  const request = (id: string, options: Record<string, boolean> = {}) => ({
    finding: alarmFinding('AWS::EC2::Instance', id, 'AWS/EC2/StatusCheckFailed_System', 'recovery'),
    playbook: 'ec2-instance-recovery',
    options,
  });

  it("only verifies when the alarm has EC2's recover action (never races it)", async () => {
    const id = await launchInstance(ec2);
    await alarm('recovery', { Name: 'InstanceId', Value: id }, 'StatusCheckFailed_System', [
      `arn:aws:automate:${FIXTURE_REGION}:ec2:recover`,
    ]);
    const analysis = await run(activities.analyze, request(id));
    expect(analysis).toMatchObject({
      verdict: 'remediate',
      plan: [],
      reason: expect.stringContaining('ec2:recover'),
    });
    expect((await run(activities.verify, request(id))).passed).toBe(true);
  });

  it('is NO_ACTION for an instance that is gone', async () => {
    expect(await run(activities.analyze, request('i-0000000000000dead'))).toMatchObject({
      verdict: 'no_action',
      reason: expect.stringContaining('i-0000000000000dead (123456789012/ap-northeast-1) no longer exists'),
    });
  });

  it('tickets when there is no recover action and the policy does not allow stop/start', async () => {
    const id = await launchInstance(ec2);
    await alarm('recovery', { Name: 'InstanceId', Value: id }, 'StatusCheckFailed_System', []);
    expect(await run(activities.analyze, request(id))).toMatchObject({
      verdict: 'cannot_fix',
      reason: expect.stringContaining('stopStartWithoutRecoverAction'),
    });
  });

  it('stops and starts an EBS-backed instance outside an ASG when the policy allows it', async () => {
    const id = await launchInstance(ec2);
    await alarm('recovery', { Name: 'InstanceId', Value: id }, 'StatusCheckFailed_System', []);
    const req = request(id, { stopStartWithoutRecoverAction: true });
    const analysis = await run(activities.analyze, req);
    const prior = await run(activities.capturePriorState, req);
    for (const p of analysis.plan) await run(activities.applyStep, { ...req, step: p.step, prior });
    expect(analysis.plan.map((p) => p.step)).toEqual(['stop-instance', 'start-instance']);
    const state = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]
      ?.Instances?.[0]?.State?.Name;
    expect(state).toBe('running');
    expect((await run(activities.verify, req)).passed).toBe(true);
  });
});

describe('asg-scale-out', () => {
  async function asg(desired: number, max: number): Promise<void> {
    const id = await launchInstance(ec2);
    const instance = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]
      ?.Instances?.[0];
    const subnets = await ec2.send(
      new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [instance?.VpcId ?? ''] }] }),
    );
    await autoscaling.send(
      new CreateLaunchConfigurationCommand({
        LaunchConfigurationName: 'lc',
        ImageId: instance?.ImageId,
        InstanceType: 't3.micro',
      }),
    );
    await autoscaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: 'web-asg',
        LaunchConfigurationName: 'lc',
        MinSize: 0,
        MaxSize: max,
        DesiredCapacity: desired,
        VPCZoneIdentifier: subnets.Subnets?.[0]?.SubnetId,
      }),
    );
  }
  const request = {
    finding: alarmFinding(
      'AWS::AutoScaling::AutoScalingGroup',
      'web-asg',
      'AWS/EC2/CPUUtilization',
      'high-cpu',
    ),
    playbook: 'asg-scale-out',
  };
  const desired = async () =>
    (await autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web-asg'] })))
      .AutoScalingGroups?.[0]?.DesiredCapacity;

  it('raises desired capacity by one, verifies the alarm returns to OK, and compensates to the recorded capacity', async () => {
    await asg(1, 3);
    await alarm('high-cpu', { Name: 'AutoScalingGroupName', Value: 'web-asg' }, 'CPUUtilization', []);
    const analysis = await run(activities.analyze, request);
    const prior = await run(activities.capturePriorState, request);
    const first = await run(activities.applyStep, { ...request, step: 'raise-desired-capacity', prior });
    const again = await run(activities.applyStep, { ...request, step: 'raise-desired-capacity', prior });
    const whileAlarm = await run(activities.verify, request);
    await cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: 'high-cpu', StateValue: 'OK', StateReason: 'load gone' }),
    );
    const afterOk = await run(activities.verify, request);

    expect(analysis.plan.map((p) => p.step)).toEqual(['raise-desired-capacity']);
    expect([first.changed, again.changed]).toEqual([true, false]);
    expect(await desired()).toBe(2);
    expect([whileAlarm.passed, afterOk.passed]).toEqual([false, true]);

    await run(activities.compensateStep, { ...request, step: 'raise-desired-capacity', prior });
    expect(await desired()).toBe(1);
  });

  it('is NO_ACTION when the group is gone or its alarm is already OK', async () => {
    const gone = await run(activities.analyze, request);
    await asg(1, 3);
    await alarm('high-cpu', { Name: 'AutoScalingGroupName', Value: 'web-asg' }, 'CPUUtilization', []);
    await cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: 'high-cpu', StateValue: 'OK', StateReason: 'load gone' }),
    );
    const ok = await run(activities.analyze, request);
    expect([gone.verdict, ok.verdict]).toEqual(['no_action', 'no_action']);
    expect(gone.reason).toContain('web-asg');
    expect(gone.reason).toContain('no longer exists');
    expect(ok.reason).toContain('alarm high-cpu OK');
    expect(await desired()).toBe(1);
  });

  it('rolls back from a prior recorded before the kit, to the recorded capacity, whoever raised it since', async () => {
    await asg(1, 3);
    await alarm('high-cpu', { Name: 'AutoScalingGroupName', Value: 'web-asg' }, 'CPUUtilization', []);
    // What the legacy handler recorded: the capacity only.
    const prior = { desiredCapacity: 1, maxSize: 3 };
    const first = await run(activities.applyStep, { ...request, step: 'raise-desired-capacity', prior });
    const again = await run(activities.applyStep, { ...request, step: 'raise-desired-capacity', prior });
    expect([first.changed, again.changed, await desired()]).toEqual([true, false, 2]);
    // Someone raises it further; the compensation restores the recorded capacity all the same (as before the kit).
    await autoscaling.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: 'web-asg', DesiredCapacity: 3 }),
    );
    await cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: 'high-cpu', StateValue: 'OK', StateReason: 'load gone' }),
    );
    const undone = await run(activities.compensateStep, {
      ...request,
      step: 'raise-desired-capacity',
      prior,
    });
    expect([undone.changed, await desired()]).toEqual([true, 1]);
    // The rollback's read-back compares the group, not the alarm (back to OK since).
    expect(stateDifferences(prior, await run(activities.capturePriorState, request))).toEqual([]);
  });

  it('only verifies when the alarm runs its own scaling policy, and tickets at max size', async () => {
    await asg(3, 3);
    await alarm('high-cpu', { Name: 'AutoScalingGroupName', Value: 'web-asg' }, 'CPUUtilization', []);
    expect(await run(activities.analyze, request)).toMatchObject({
      verdict: 'cannot_fix',
      reason: expect.stringContaining('maximum size'),
    });
    await alarm('high-cpu', { Name: 'AutoScalingGroupName', Value: 'web-asg' }, 'CPUUtilization', [
      `arn:aws:autoscaling:${FIXTURE_REGION}:${FIXTURE_ACCOUNT}:scalingPolicy:1234:autoScalingGroupName/web-asg:policyName/out`,
    ]);
    expect(await run(activities.analyze, request)).toMatchObject({ verdict: 'remediate', plan: [] });
  });
});
