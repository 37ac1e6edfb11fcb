/**
 * The isolation playbook's activities against moto: the full order, per-VPC groups reused, idempotent re-runs, the
 * Auto Scaling group and target group, TARGET findings ticketed, and the recorded prior state for operator rollback.
 */
import {
  AttachInstancesCommand,
  AttachLoadBalancerTargetGroupsCommand,
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  DescribeAutoScalingInstancesCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  DescribeSubnetsCommand,
} from '@aws-sdk/client-ec2';
import type { EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { createPlaybooks } from '../../src/activities';
import { allowAllGroupName, isolationGroupName } from '../../src/playbooks/ec2-isolate-instance';
import { createRemediationActivities } from '../../src/activities/remediation-activities';
import type { AwsClients } from '../../src/aws/clients';
import type { MotoServer } from '../../src/devstack/moto-server';
import type { Finding } from '../../src/domain/finding';
import { stateDifferences } from '../../src/domain/rollback';
import { FIXTURE_REGION, motoClients, TEST_CREDENTIALS } from '../helpers/aws';
import { launchInstance, motoEc2 } from '../helpers/ec2';
import { runActivity } from '../helpers/activity-env';
import { guardDutyFinding } from '../helpers/fixtures';
import { startSuiteMoto } from '../helpers/servers';

let moto: MotoServer;
let clients: AwsClients;
let ec2: EC2Client;
let activities: ReturnType<typeof createRemediationActivities>;
const run = runActivity;

beforeAll(async () => {
  moto = await startSuiteMoto();
  clients = motoClients(moto.endpoint);
  ec2 = motoEc2(moto.endpoint);
  activities = createRemediationActivities(createPlaybooks(clients));
});
afterAll(async () => {
  clients?.destroy();
  ec2?.destroy();
  await moto?.stop();
});
beforeEach(() => moto.reset());

function isolationFinding(instanceId: string, resourceRole = 'ACTOR'): Finding {
  return guardDutyFinding('AWS::EC2::Instance', instanceId, {
    eventId: 'evt-gd',
    details: { guardDutyFindingId: 'gd-finding-1', resourceRole },
  });
}

const request = (instanceId: string, role?: string) => ({
  finding: isolationFinding(instanceId, role),
  playbook: 'ec2-isolate-instance',
});

async function instance(id: string) {
  return (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]
    ?.Instances?.[0];
}

it('isolates in order, reuses the per-VPC groups, re-runs idempotently, and records what it changed', async () => {
  // Prepare: an instance in its VPC's default group. (moto appends instead of replacing groups on an ENI whose
  // instance was launched with SecurityGroupIds, so the instance keeps the default group here.)
  // moto also ignores ModifyInstanceAttribute InstanceInitiatedShutdownBehavior (it keeps the launch value), so the
  // instance is launched with `stop` and that step is a no-op here; against real EC2 the call changes it.
  const id = await launchInstance(ec2, { InstanceInitiatedShutdownBehavior: 'stop' });
  const GroupId = (await instance(id))?.NetworkInterfaces?.[0]?.Groups?.[0]?.GroupId;
  const second = await launchInstance(ec2, { InstanceInitiatedShutdownBehavior: 'stop' });

  // Act
  const analysis = await run(activities.analyze, request(id));
  const prior = await run(activities.capturePriorState, request(id));
  const first = [];
  for (const p of analysis.plan)
    first.push(await run(activities.applyStep, { ...request(id), step: p.step, prior }));
  const again = [];
  for (const p of analysis.plan)
    again.push(await run(activities.applyStep, { ...request(id), step: p.step, prior }));
  const verification = await run(activities.verify, request(id));
  // A second instance in the same VPC reuses the same isolation group.
  const prior2 = await run(activities.capturePriorState, request(second));
  await run(activities.applyStep, { ...request(second), step: 'isolate-network-interfaces', prior: prior2 });

  // Assess
  // Only what the instance needs is planned: it is in no target group and its shutdown behaviour is `stop` already.
  expect(analysis.plan.map((p) => p.step)).toEqual([
    'enable-termination-protection',
    'isolate-network-interfaces',
    'tag-for-forensics',
    'snapshot-volumes',
  ]);
  expect(first.filter((r) => !r.changed).map((r) => r.step)).toEqual([]);
  expect(again.filter((r) => r.changed)).toEqual([]);
  expect(verification).toMatchObject({ passed: true });
  expect(prior).toMatchObject({
    disableApiTermination: false,
    enis: [expect.objectContaining({ groups: [GroupId] })],
  });

  const isolated = await instance(id);
  const vpcId = isolated?.VpcId ?? '';
  const groups = await ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [{ Name: 'group-name', Values: [isolationGroupName(vpcId)] }],
    }),
  );
  expect(groups.SecurityGroups).toHaveLength(1);
  const isolation = groups.SecurityGroups?.[0];
  expect(isolation?.Tags).toEqual(
    expect.arrayContaining([
      { Key: 'remediator:purpose', Value: 'isolation' },
      { Key: 'remediator:protected', Value: 'true' },
    ]),
  );
  // The allow-all group existed only while the ENIs went through it.
  const allowAll = await ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [{ Name: 'group-name', Values: [allowAllGroupName(vpcId)] }],
    }),
  );
  expect(allowAll.SecurityGroups).toEqual([]);
  expect(isolation?.IpPermissions).toEqual([]);
  expect(isolation?.IpPermissionsEgress).toEqual([]);
  expect(isolated?.NetworkInterfaces?.[0]?.Groups?.map((g) => g.GroupId)).toEqual([isolation?.GroupId]);
  expect((await instance(second))?.NetworkInterfaces?.[0]?.Groups?.map((g) => g.GroupId)).toEqual([
    isolation?.GroupId,
  ]);
  expect(isolated?.Tags).toEqual(
    expect.arrayContaining([
      { Key: 'remediator:guardduty-finding', Value: 'gd-finding-1' },
      {
        Key: 'remediator:original-groups',
        Value: `${isolated?.NetworkInterfaces?.[0]?.NetworkInterfaceId}=${GroupId}`,
      },
    ]),
  );
  const termination = await ec2.send(
    new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'disableApiTermination' }),
  );
  expect(termination.DisableApiTermination?.Value).toBe(true);
  const snapshots = await ec2.send(
    new DescribeSnapshotsCommand({
      Filters: [{ Name: 'tag:remediator:guardduty-finding', Values: ['gd-finding-1'] }],
    }),
  );
  expect(snapshots.Snapshots?.length).toBe((prior.volumes as string[]).length);

  // Operator rollback (later issue) restores the recorded groups; snapshots stay.
  const undone = await run(activities.compensateStep, {
    ...request(id),
    step: 'isolate-network-interfaces',
    prior,
  });
  expect(undone.changed).toBe(true);
  expect((await instance(id))?.NetworkInterfaces?.[0]?.Groups?.map((g) => g.GroupId)).toEqual([GroupId]);
});

/** An instance in Auto Scaling group `web-asg`, registered in its target group and behind a load balancer's. */
async function instanceInAFleet(): Promise<{
  id: string;
  targetGroupArn: string;
  apiArn: string;
  asg: AutoScalingClient;
  elb: ElasticLoadBalancingV2Client;
}> {
  // (launched with `stop`: moto ignores changes to the shutdown behaviour)
  const asg = new AutoScalingClient({
    endpoint: moto.endpoint,
    region: FIXTURE_REGION,
    credentials: TEST_CREDENTIALS,
  });
  const elb = new ElasticLoadBalancingV2Client({
    endpoint: moto.endpoint,
    region: FIXTURE_REGION,
    credentials: TEST_CREDENTIALS,
  });
  const id = await launchInstance(ec2);
  const vpcId = (await instance(id))?.VpcId ?? '';
  const subnets = await ec2.send(
    new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }),
  );
  const imageId = (await instance(id))?.ImageId ?? '';
  await asg.send(
    new CreateLaunchConfigurationCommand({
      LaunchConfigurationName: 'lc',
      ImageId: imageId,
      InstanceType: 't3.micro',
    }),
  );
  await asg.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: 'web-asg',
      LaunchConfigurationName: 'lc',
      MinSize: 0,
      MaxSize: 3,
      DesiredCapacity: 0,
      VPCZoneIdentifier: subnets.Subnets?.[0]?.SubnetId,
    }),
  );
  await asg.send(new AttachInstancesCommand({ AutoScalingGroupName: 'web-asg', InstanceIds: [id] }));
  /** A target group in the instance's VPC with the instance registered on `port`. */
  const registeredIn = async (name: string, port: number): Promise<string> => {
    const tg = await elb.send(
      new CreateTargetGroupCommand({
        Name: name,
        Protocol: 'HTTP',
        Port: port,
        VpcId: vpcId,
        TargetType: 'instance',
      }),
    );
    const arn = tg.TargetGroups?.[0]?.TargetGroupArn ?? '';
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: id, Port: port }] }));
    return arn;
  };
  const targetGroupArn = await registeredIn('web-tg', 80);
  // One target group through the Auto Scaling group, one behind a load balancer's listener in the instance's VPC.
  await asg.send(
    new AttachLoadBalancerTargetGroupsCommand({
      AutoScalingGroupName: 'web-asg',
      TargetGroupARNs: [targetGroupArn],
    }),
  );
  const lb = await elb.send(
    new CreateLoadBalancerCommand({
      Name: 'api-lb',
      Subnets: (subnets.Subnets ?? []).slice(0, 2).map((s) => s.SubnetId ?? ''),
    }),
  );
  const apiArn = await registeredIn('api-tg', 8080);
  await elb.send(
    new CreateListenerCommand({
      LoadBalancerArn: lb.LoadBalancers?.[0]?.LoadBalancerArn,
      Protocol: 'HTTP',
      Port: 80,
      DefaultActions: [{ Type: 'forward', TargetGroupArn: apiArn }],
    }),
  );
  return { id, targetGroupArn, apiArn, asg, elb };
}

/** The ports the instance is registered on in a target group. */
async function portsIn(elb: ElasticLoadBalancingV2Client, arn: string, id: string) {
  const health = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
  return (health.TargetHealthDescriptions ?? [])
    .filter((d) => d.Target?.Id === id)
    .map((d) => d.Target?.Port);
}

it('takes the instance out of its Auto Scaling group (capacity kept) and the target groups of its group and load balancers', async () => {
  // Prepare
  const { id, targetGroupArn, apiArn, asg, elb } = await instanceInAFleet();

  // Act
  const analysis = await run(activities.analyze, request(id));
  const prior = await run(activities.capturePriorState, request(id));
  for (const p of analysis.plan) await run(activities.applyStep, { ...request(id), step: p.step, prior });

  // Assess
  expect(analysis.plan.map((p) => p.step)).toEqual(
    expect.arrayContaining(['detach-from-auto-scaling-group', 'deregister-from-target-groups']),
  );
  expect(prior).toMatchObject({ autoScalingGroup: 'web-asg' });
  expect(prior.targetGroups).toEqual(
    expect.arrayContaining([
      { targetGroupArn, port: 80 },
      { targetGroupArn: apiArn, port: 8080 },
    ]),
  );
  const membership = await asg.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [id] }));
  expect(membership.AutoScalingInstances ?? []).toEqual([]);
  for (const arn of [targetGroupArn, apiArn]) expect(await portsIn(elb, arn, id)).toEqual([]);
  expect((await run(activities.verify, request(id))).passed).toBe(true);
  asg.destroy();
  elb.destroy();
});

it('an operator rollback restores the groups, termination protection, Auto Scaling group and target groups exactly, and keeps the snapshots', async () => {
  // Prepare: isolated, every step done.
  const { id, targetGroupArn, apiArn, asg, elb } = await instanceInAFleet();
  const analysis = await run(activities.analyze, request(id));
  const prior = await run(activities.capturePriorState, request(id));
  const changes = [];
  for (const p of analysis.plan)
    changes.push(await run(activities.applyStep, { ...request(id), step: p.step, prior }));
  const verification = await run(activities.verify, request(id));

  // Act: every changed step undone, newest first (what the rollback workflow does), then read back.
  const undone = [];
  for (const change of [...changes].reverse().filter((c) => c.changed))
    undone.push(await run(activities.compensateStep, { ...request(id), step: change.step, prior }));
  const back = await run(activities.capturePriorState, request(id));

  // Assess
  expect(verification.passed).toBe(true);
  expect(changes.every((c) => c.changed)).toBe(true);
  expect(stateDifferences(prior, back)).toEqual([]);
  expect(undone.find((u) => u.step === 'snapshot-volumes')).toMatchObject({ changed: false });
  const membership = await asg.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [id] }));
  expect(membership.AutoScalingInstances?.map((i) => i.AutoScalingGroupName)).toEqual(['web-asg']);
  expect(await portsIn(elb, targetGroupArn, id)).toEqual([80]);
  expect(await portsIn(elb, apiArn, id)).toEqual([8080]);
  const termination = await ec2.send(
    new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'disableApiTermination' }),
  );
  expect(termination.DisableApiTermination?.Value).toBe(false);
  expect((await instance(id))?.Tags?.map((t) => t.Key)).not.toContain('remediator:guardduty-finding');
  const snapshots = await ec2.send(
    new DescribeSnapshotsCommand({
      Filters: [{ Name: 'tag:remediator:guardduty-finding', Values: ['gd-finding-1'] }],
    }),
  );
  expect(snapshots.Snapshots?.length).toBe((prior.volumes as string[]).length);
  asg.destroy();
  elb.destroy();
});

it('verification puts back a tampered isolation group (its rules revoked) and fails all the same', async () => {
  // Prepare: an isolated instance; then someone opens its isolation group.
  const id = await launchInstance(ec2, { InstanceInitiatedShutdownBehavior: 'stop' });
  const analysis = await run(activities.analyze, request(id));
  const prior = await run(activities.capturePriorState, request(id));
  for (const p of analysis.plan) await run(activities.applyStep, { ...request(id), step: p.step, prior });
  const groupId = (await instance(id))?.NetworkInterfaces?.[0]?.Groups?.[0]?.GroupId ?? '';
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    }),
  );

  // Act
  const tampered = await run(activities.verify, request(id));
  const again = await run(activities.verify, request(id));

  // Assess: the exposure is reported (a person must know), the group is rule-free again, the next check passes.
  expect(tampered).toMatchObject({
    passed: false,
    detail: expect.stringContaining(
      `isolation group ${groupId} had rules (revoked): ingress tcp 22-22 0.0.0.0/0`,
    ),
  });
  const group = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
  expect(group.SecurityGroups?.[0]?.IpPermissions).toEqual([]);
  expect(again.passed).toBe(true);
});

it('tickets, does not isolate, when the instance was the target', async () => {
  const id = await launchInstance(ec2);
  const analysis = await run(activities.analyze, request(id, 'TARGET'));
  expect(analysis).toMatchObject({ verdict: 'cannot_fix', reason: expect.stringContaining('target') });
});

it('is NO_ACTION for an instance that is gone', async () => {
  expect((await run(activities.analyze, request('i-0123456789abcdef0'))).verdict).toBe('no_action');
});

it('is NO_ACTION for a repeat after the instance was isolated', async () => {
  const id = await launchInstance(ec2, { InstanceInitiatedShutdownBehavior: 'stop' });
  const analysis = await run(activities.analyze, request(id));
  const prior = await run(activities.capturePriorState, request(id));
  for (const p of analysis.plan) await run(activities.applyStep, { ...request(id), step: p.step, prior });
  expect(await run(activities.analyze, request(id))).toMatchObject({
    verdict: 'no_action',
    reason: expect.stringContaining('is compliant: isolated: termination protection on'),
  });
});

it('stops a cryptomining instance only when the policy says so (memory is evidence)', async () => {
  const id = await launchInstance(ec2, { InstanceInitiatedShutdownBehavior: 'stop' });
  const crypto = (options: Record<string, boolean>) => ({
    finding: { ...isolationFinding(id), control: 'CryptoCurrency:EC2/BitcoinTool.B!DNS' },
    playbook: 'ec2-isolate-instance',
    options,
  });
  const byDefault = await run(activities.analyze, crypto({}));
  const withPolicy = await run(activities.analyze, crypto({ stopOnCryptoCurrency: true }));
  expect(byDefault.plan.map((p) => p.step)).not.toContain('stop-instance');
  expect(withPolicy.plan.map((p) => p.step).at(-1)).toBe('stop-instance');

  const prior = await run(activities.capturePriorState, crypto({ stopOnCryptoCurrency: true }));
  const stopped = await run(activities.applyStep, {
    ...crypto({ stopOnCryptoCurrency: true }),
    step: 'stop-instance',
    prior,
  });
  expect(stopped.changed).toBe(true);
  expect(['stopping', 'stopped']).toContain((await instance(id))?.State?.Name);
});
