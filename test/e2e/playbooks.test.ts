/**
 * End to end on real servers, one Config playbook per test: PutEvents on moto's EventBridge → the rule delivers to SQS → the ingest bridge →
 * signal-with-start on the Temporal dev server → the worker blocks public access → SNS notification (read through an
 * SQS subscription).
 */
import { GetPublicAccessBlockCommand, PutBucketAclCommand } from '@aws-sdk/client-s3';
import type { RemediationPolicy } from '../../src/domain/policy';
import type { RemediationResult } from '../../src/domain/remediation';
import { putEvent } from '../../src/commands/send-event';
import { parseMessageBody } from '../../src/ingest/envelope';
import { singleFinding } from '../../src/ingest/normalise';
import { remediationWorkflowId } from '../../src/domain/finding';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  DescribeInstancesCommand,
  DescribeSubnetsCommand,
  DisableEbsEncryptionByDefaultCommand,
  EC2Client,
  GetEbsEncryptionByDefaultCommand,
} from '@aws-sdk/client-ec2';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  DescribeAutoScalingGroupsCommand,
} from '@aws-sdk/client-auto-scaling';
import { statusQuery } from '../../src/workflows/definitions';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  ListAccessKeysCommand,
} from '@aws-sdk/client-iam';
import { ConfigServiceClient, PutConfigRuleCommand } from '@aws-sdk/client-config-service';
import type { SqsBridge } from '../../src/ingest/sqs-bridge';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';
import { createBucket, drainQueue, FIXTURE_REGION, TEST_CREDENTIALS } from '../helpers/aws';
import { fixtureEvent } from '../helpers/fixtures';
import { launchInstance, motoEc2 } from '../helpers/ec2';
import { remediateEvent, startPipeline } from '../helpers/e2e-pipeline';
import type { E2ePipeline } from '../helpers/e2e-pipeline';
import { startWorkflowStack } from '../helpers/workflow-stack';
import type { WorkflowStack } from '../helpers/workflow-stack';

let stack: WorkflowStack;
beforeAll(async () => {
  stack = await startWorkflowStack();
});

/** The seed policy with no propagation wait and a short cool-down, so the run completes in seconds. */
const POLICY: RemediationPolicy = {
  ...DEFAULT_POLICY,
  cooldownMs: 3000,
  defaults: { ...DEFAULT_POLICY.defaults, propagationWaitMs: 0 },
  // Scale-out verifies that the alarm returns to OK: give the test a window to let the load "drop".
  playbooks: { 'asg-scale-out': { propagationWaitMs: 4000 } },
};

const TASK_QUEUE = 'e2e';
let pipeline: E2ePipeline;
let bridge: SqsBridge;

beforeAll(async () => {
  pipeline = await startPipeline(stack, POLICY, TASK_QUEUE);
  bridge = pipeline.bridge;
});
afterAll(async () => {
  await pipeline?.stop();
  await stack?.stop();
});

/** Puts the fixture on EventBridge and waits for the resource's run to complete. */
function remediate(fixture: string, detailPatch: Record<string, unknown> = {}, afterRunId?: string) {
  return remediateEvent(stack, bridge, fixtureEvent(fixture, detailPatch), fixture, afterRunId);
}

it('s3-block-public-access: the fixture bucket ends fully blocked and the outcome is notified by SNS', async () => {
  // Prepare
  const bucket = 'acme-marketing-assets';
  await createBucket(stack.raw.s3, bucket);
  await stack.raw.s3.send(new PutBucketAclCommand({ Bucket: bucket, ACL: 'public-read' }));

  // Act
  const { result } = await remediate('config-s3-bucket-public-read-noncompliant.json');

  // Assess
  expect(result.status).toBe('REMEDIATED');
  const block = await stack.raw.s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
  expect(block.PublicAccessBlockConfiguration).toEqual({
    BlockPublicAcls: true,
    IgnorePublicAcls: true,
    BlockPublicPolicy: true,
    RestrictPublicBuckets: true,
  });
  const notes = await drainQueue(stack.raw.sqs, stack.resources.notifyInboxUrl, 1);
  const sns = notes
    .map((m) => JSON.parse(m.Body ?? '{}') as { Subject?: string; Message?: string })
    .find((n) => n.Subject?.includes(bucket));
  expect(sns?.Subject).toBe(
    '[REMEDIATED] s3-block-public-access on acme-marketing-assets (123456789012/ap-northeast-1)',
  );
  const record = JSON.parse(sns?.Message?.split('--- machine-readable record ---\n')[1] ?? '{}');
  expect(record).toMatchObject({ kind: 'outcome', status: 'REMEDIATED', resource: { resourceId: bucket } });
});

it('ebs-encryption-by-default: the account region ends with encryption by default on', async () => {
  const ec2 = new EC2Client({
    endpoint: stack.moto.endpoint,
    region: FIXTURE_REGION,
    credentials: TEST_CREDENTIALS,
  });
  await ec2.send(new DisableEbsEncryptionByDefaultCommand({}));

  const { result } = await remediate('config-ebs-encryption-by-default-noncompliant.json');

  expect(result.status).toBe('REMEDIATED');
  expect(result.outcomes[0]?.prior).toEqual({ ebsEncryptionByDefault: false });
  expect((await ec2.send(new GetEbsEncryptionByDefaultCommand({}))).EbsEncryptionByDefault).toBe(true);
  ec2.destroy();
});

it('ec2-enforce-imdsv2: a rule deployed under another name routes by its managed SourceIdentifier; the instance ends requiring IMDSv2 with its other options unchanged', async () => {
  // Prepare: moto picks instance ids, so the fixture's event is pointed at the launched instance; the rule has a
  // name no route mentions, as conformance packs deploy it.
  const ec2 = motoEc2(stack.moto.endpoint);
  const instanceId = await launchInstance(ec2, {
    MetadataOptions: { HttpTokens: 'optional', HttpPutResponseHopLimit: 2 },
  });
  const config = new ConfigServiceClient({
    endpoint: stack.moto.endpoint,
    region: FIXTURE_REGION,
    credentials: TEST_CREDENTIALS,
  });
  await config.send(
    new PutConfigRuleCommand({
      ConfigRule: {
        ConfigRuleName: 'org-pack-imds-7f3a',
        Source: { Owner: 'AWS', SourceIdentifier: 'EC2_IMDSV2_CHECK' },
      },
    }),
  );

  const { result } = await remediate('config-ec2-imdsv2-noncompliant.json', {
    resourceId: instanceId,
    configRuleName: 'org-pack-imds-7f3a',
  });

  expect(result.status).toBe('REMEDIATED');
  expect(result.outcomes[0]?.finding.details).toMatchObject({
    managedControl: 'ec2-imdsv2-check',
    sourceIdentifier: 'EC2_IMDSV2_CHECK',
  });
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  expect(out.Reservations?.[0]?.Instances?.[0]?.MetadataOptions).toMatchObject({
    HttpTokens: 'required',
    HttpPutResponseHopLimit: 2,
    State: 'applied',
  });
  ec2.destroy();
  config.destroy();
});

it('sg-close-admin-ports: world-open SSH is revoked; the same port for a private range stays', async () => {
  const ec2 = motoEc2(stack.moto.endpoint);
  const { GroupId } = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: 'e2e-ssh', Description: 'ssh' }),
  );
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId,
      IpPermissions: [
        {
          IpProtocol: 'tcp',
          FromPort: 22,
          ToPort: 22,
          IpRanges: [{ CidrIp: '0.0.0.0/0' }, { CidrIp: '10.0.0.0/8' }],
        },
      ],
    }),
  );

  const { result } = await remediate('config-restricted-ssh-noncompliant.json', { resourceId: GroupId });

  expect(result.status).toBe('REMEDIATED');
  const group = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [GroupId ?? ''] }));
  expect(group.SecurityGroups?.[0]?.IpPermissions?.map((p) => p.IpRanges?.map((r) => r.CidrIp))).toEqual([
    ['10.0.0.0/8'],
  ]);
  ec2.destroy();
});

it('Security Hub EC2.8 and Config ec2-imdsv2-check for one instance end in one execution, fixed once', async () => {
  // Prepare
  const ec2 = motoEc2(stack.moto.endpoint);
  const instanceId = await launchInstance(ec2, { MetadataOptions: { HttpTokens: 'optional' } });
  const hub = fixtureEvent('securityhub-ec2.8-failed.json') as {
    detail: { findings: Array<Record<string, unknown>> };
  };
  const hubEvent = parseMessageBody(
    JSON.stringify({
      ...hub,
      detail: {
        findings: hub.detail.findings.map((f) => ({
          ...f,
          Resources: [
            {
              Type: 'AwsEc2Instance',
              Id: `arn:aws:ec2:${FIXTURE_REGION}:123456789012:instance/${instanceId}`,
              Region: FIXTURE_REGION,
            },
          ],
        })),
      },
    }),
  );
  const configEvent = parseMessageBody(
    JSON.stringify(fixtureEvent('config-ec2-imdsv2-noncompliant.json', { resourceId: instanceId })),
  );
  const workflowId = remediationWorkflowId(singleFinding(hubEvent).resource);

  // Act: both detectors report within seconds of each other.
  await putEvent(stack.raw.events, hubEvent, 'default');
  await putEvent(stack.raw.events, configEvent, 'default');
  let result: RemediationResult | undefined;
  for (let i = 0; i < 300 && !result; i += 1) {
    result = await stack.env.client.workflow
      .getHandle(workflowId)
      .result()
      .catch((err: Error) => {
        if (err.name !== 'WorkflowNotFoundError') throw err;
        return undefined;
      });
    if (!result) await new Promise((r) => setTimeout(r, 200));
  }

  // Assess: one run handled both; the second found nothing left to do.
  expect(result?.status).toBe('REMEDIATED');
  expect(result?.outcomes.map((o) => [o.finding.source, o.status])).toEqual([
    ['aws.securityhub', 'REMEDIATED'],
    ['aws.config', 'NO_ACTION'],
  ]);
  ec2.destroy();
});

it('ec2-isolate-instance: a GuardDuty UnauthorizedAccess:EC2 finding isolates the instance; the 6-hourly re-send changes nothing', async () => {
  // Prepare: moto picks ids, so the fixture's finding names the launched instance.
  const ec2 = motoEc2(stack.moto.endpoint);
  const instanceId = await launchInstance(ec2, { InstanceInitiatedShutdownBehavior: 'stop' });
  const gd = fixtureEvent('guardduty-ec2-unauthorized-access.json') as {
    detail: { resource: { instanceDetails: object } };
  };
  const resource = {
    ...gd.detail.resource,
    instanceDetails: { ...gd.detail.resource.instanceDetails, instanceId },
  };

  // Act: the finding, then GuardDuty's re-send of it (same finding id, higher count).
  const { result, runId } = await remediate('guardduty-ec2-unauthorized-access.json', { resource });
  const resent = await remediate(
    'guardduty-ec2-unauthorized-access.json',
    { resource, service: { ...(gd.detail as unknown as { service: object }).service, count: 12 } },
    runId,
  );

  // Assess
  expect(result.status).toBe('REMEDIATED');
  const isolated = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })))
    .Reservations?.[0]?.Instances?.[0];
  expect(isolated?.NetworkInterfaces?.[0]?.Groups?.map((g) => g.GroupName)).toEqual([
    `remediator-isolation-${isolated?.VpcId}`,
  ]);
  expect(resent.result.outcomes.map((o) => [o.status, o.changes.length])).toEqual([['NO_ACTION', 0]]);
  ec2.destroy();
});

it('s3-block-public-access: GuardDuty Policy:S3/BucketBlockPublicAccessDisabled (severity 2) blocks the bucket again', async () => {
  // Prepare: a bucket without Block Public Access, named by the finding.
  const bucket = `gd-public-${Date.now().toString(36)}`;
  await createBucket(stack.raw.s3, bucket);
  const gd = fixtureEvent('guardduty-s3-block-public-access-disabled.json') as {
    detail: { resource: { s3BucketDetails: object[] } };
  };
  const resource = {
    ...gd.detail.resource,
    s3BucketDetails: [{ ...gd.detail.resource.s3BucketDetails[0], name: bucket }],
  };

  // Act
  const { result } = await remediate('guardduty-s3-block-public-access-disabled.json', { resource });

  // Assess
  expect(result.status).toBe('REMEDIATED');
  const block = await stack.raw.s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
  expect(block.PublicAccessBlockConfiguration).toEqual({
    BlockPublicAcls: true,
    IgnorePublicAcls: true,
    BlockPublicPolicy: true,
    RestrictPublicBuckets: true,
  });
});

it('guardduty-finding-triage: a finding no playbook fixes is ticketed and paged with its summary, one execution per finding', async () => {
  // Act: a runtime finding (not one of the isolation families) about an instance.
  const event = fixtureEvent('guardduty-runtime-reverse-shell.json');
  const { result, outcome } = await remediateEvent(
    stack,
    bridge,
    event,
    'guardduty-runtime-reverse-shell.json',
    undefined,
    'guardduty-finding-triage',
  );

  // Assess: escalated with a ticket; the page names the type and the finding's title; nothing was changed.
  expect(result.status).toBe('ESCALATED');
  expect(outcome).toMatchObject({
    playbook: 'guardduty-finding-triage',
    changes: [],
    finding: {
      resource: { resourceType: 'GuardDuty::Finding', resourceId: 'f2e4d6c8b0a2f4e6d8c0b2a4f6e8d0c2' },
      details: { subjectType: 'AWS::EC2::Instance', subjectId: 'i-0f9e8d7c6b5a43210' },
    },
    escalation: {
      reason: expect.stringContaining('Execution:Runtime/ReverseShell (severity 8) about AWS::EC2::Instance'),
      ticket: expect.any(String),
    },
  });
  // Other tests page too: read the inbox until this finding's page arrives.
  let page: string | undefined;
  for (const deadline = Date.now() + 20_000; !page && Date.now() < deadline;) {
    const batch = await drainQueue(stack.raw.sqs, stack.resources.oncallInboxUrl, 1, 2_000);
    page = batch
      .map((m) => (JSON.parse(m.Body ?? '{}') as { Message?: string }).Message ?? '')
      .find((m) => m.includes('f2e4d6c8b0a2f4e6d8c0b2a4f6e8d0c2'));
  }
  expect(page).toContain('opened a reverse shell');
});

it('iam-contain-access-key: a GuardDuty UnauthorizedAccess:IAMUser finding deactivates the long-term key', async () => {
  // Prepare: moto generates key ids, so the fixture's finding names the created key.
  const iam = new IAMClient({
    endpoint: stack.moto.endpoint,
    region: 'us-east-1',
    credentials: TEST_CREDENTIALS,
  });
  await iam.send(new CreateUserCommand({ UserName: 'ci-deployer' }));
  const accessKeyId =
    (await iam.send(new CreateAccessKeyCommand({ UserName: 'ci-deployer' }))).AccessKey?.AccessKeyId ?? '';
  const gd = fixtureEvent('guardduty-iam-user-access-key.json') as {
    detail: { resource: { accessKeyDetails: object } };
  };
  const resource = {
    ...gd.detail.resource,
    accessKeyDetails: { ...gd.detail.resource.accessKeyDetails, accessKeyId },
  };

  const { result } = await remediate('guardduty-iam-user-access-key.json', { resource });

  expect(result.status).toBe('REMEDIATED');
  const keys = await iam.send(new ListAccessKeysCommand({ UserName: 'ci-deployer' }));
  expect(keys.AccessKeyMetadata?.map((k) => [k.AccessKeyId, k.Status])).toEqual([[accessKeyId, 'Inactive']]);
  iam.destroy();
});

it('ec2-instance-recovery: a StatusCheckFailed_System ALARM with ec2:recover is verified, not raced', async () => {
  // moto emits no alarm events: the event is put on the bus as CloudWatch would, for an alarm that exists in moto.
  const ec2 = motoEc2(stack.moto.endpoint);
  const instanceId = await launchInstance(ec2);
  const cloudwatch = new CloudWatchClient({
    endpoint: stack.moto.endpoint,
    region: FIXTURE_REGION,
    credentials: TEST_CREDENTIALS,
  });
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: 'ec2-recovery-alarm',
      Namespace: 'AWS/EC2',
      MetricName: 'StatusCheckFailed_System',
      Dimensions: [{ Name: 'InstanceId', Value: instanceId }],
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 2,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [`arn:aws:automate:${FIXTURE_REGION}:ec2:recover`],
    }),
  );
  // In ALARM, as the event says (an alarm back in OK needs nothing).
  await cloudwatch.send(
    new SetAlarmStateCommand({ AlarmName: 'ec2-recovery-alarm', StateValue: 'ALARM', StateReason: 'test' }),
  );
  const base = fixtureEvent('cloudwatch-alarm-status-check-failed.json') as {
    detail: { configuration: { metrics: Array<{ metricStat: { metric: object } }> } };
  };
  const metric = base.detail.configuration.metrics[0]?.metricStat.metric ?? {};

  const { result } = await remediate('cloudwatch-alarm-status-check-failed.json', {
    configuration: {
      metrics: [{ id: 'm1', metricStat: { metric: { ...metric, dimensions: { InstanceId: instanceId } } } }],
    },
  });

  expect(result.status).toBe('REMEDIATED');
  expect(result.outcomes[0]?.changes).toEqual([]);
  expect(result.outcomes[0]?.verification?.detail).toContain('system status ok');
  ec2.destroy();
  cloudwatch.destroy();
});

it('two findings for one instance (IMDSv2 and isolation) run one after another, never at once', async () => {
  const ec2 = motoEc2(stack.moto.endpoint);
  const instanceId = await launchInstance(ec2, {
    MetadataOptions: { HttpTokens: 'optional' },
    InstanceInitiatedShutdownBehavior: 'stop',
  });
  const gd = fixtureEvent('guardduty-ec2-unauthorized-access.json') as {
    detail: { resource: { instanceDetails: object } };
  };
  const resource = {
    ...gd.detail.resource,
    instanceDetails: { ...gd.detail.resource.instanceDetails, instanceId },
  };
  await putEvent(
    stack.raw.events,
    parseMessageBody(
      JSON.stringify(fixtureEvent('config-ec2-imdsv2-noncompliant.json', { resourceId: instanceId })),
    ),
    'default',
  );

  const { result } = await remediate('guardduty-ec2-unauthorized-access.json', { resource });

  const [first, second] = result.outcomes;
  expect(result.outcomes.map((o) => [o.playbook, o.status])).toEqual([
    ['ec2-enforce-imdsv2', 'REMEDIATED'],
    ['ec2-isolate-instance', 'REMEDIATED'],
  ]);
  expect(Date.parse(second?.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(first?.finishedAt ?? ''));
  ec2.destroy();
});

it('asg-scale-out: high CPU on a group without a scaling action raises capacity by one; verified when the alarm is OK', async () => {
  // Prepare: a group at 1 of max 3 and its CPU alarm in ALARM (moto emits no alarm events: the event is put by hand).
  const ec2 = motoEc2(stack.moto.endpoint);
  const common = { endpoint: stack.moto.endpoint, region: FIXTURE_REGION, credentials: TEST_CREDENTIALS };
  const autoscaling = new AutoScalingClient(common);
  const cloudwatch = new CloudWatchClient(common);
  const seed = await launchInstance(ec2);
  const instance = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [seed] }))).Reservations?.[0]
    ?.Instances?.[0];
  const subnets = await ec2.send(
    new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [instance?.VpcId ?? ''] }] }),
  );
  await autoscaling.send(
    new CreateLaunchConfigurationCommand({
      LaunchConfigurationName: 'e2e-lc',
      ImageId: instance?.ImageId,
      InstanceType: 't3.micro',
    }),
  );
  await autoscaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: 'web-asg',
      LaunchConfigurationName: 'e2e-lc',
      MinSize: 0,
      MaxSize: 3,
      DesiredCapacity: 1,
      VPCZoneIdentifier: subnets.Subnets?.[0]?.SubnetId,
    }),
  );
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: 'high-cpu-alarm',
      Namespace: 'AWS/EC2',
      MetricName: 'CPUUtilization',
      Dimensions: [{ Name: 'AutoScalingGroupName', Value: 'web-asg' }],
      Statistic: 'Average',
      Period: 300,
      EvaluationPeriods: 2,
      Threshold: 80,
      ComparisonOperator: 'GreaterThanThreshold',
    }),
  );
  await cloudwatch.send(
    new SetAlarmStateCommand({ AlarmName: 'high-cpu-alarm', StateValue: 'ALARM', StateReason: 'load' }),
  );

  // Act: while the workflow waits, the added capacity takes the load and the alarm returns to OK.
  const workflowId = 'remediation/123456789012/ap-northeast-1/AWS::AutoScaling::AutoScalingGroup/web-asg';
  const done = remediate('cloudwatch-alarm-high-cpu.json');
  for (let i = 0; i < 100; i += 1) {
    const phase = await stack.env.client.workflow
      .getHandle(workflowId)
      .query(statusQuery)
      .then((s) => s.phase)
      .catch(() => undefined);
    if (phase === 'VERIFYING') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const capacityDuringWait = (
    await autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web-asg'] }))
  ).AutoScalingGroups?.[0]?.DesiredCapacity;
  await cloudwatch.send(
    new SetAlarmStateCommand({ AlarmName: 'high-cpu-alarm', StateValue: 'OK', StateReason: 'load gone' }),
  );
  const { result } = await done;

  // Assess
  expect(capacityDuringWait).toBe(2);
  expect(result.status).toBe('REMEDIATED');
  expect(result.outcomes[0]?.verification?.detail).toContain('OK');
  ec2.destroy();
  autoscaling.destroy();
  cloudwatch.destroy();
});
