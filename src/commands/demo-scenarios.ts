/**
 * The seed scenarios of `remediator demo --all`: each arranges moto, names the example event to put on EventBridge
 * (pointed at what it created, since moto picks resource ids), and reads the resource afterwards.
 */
import {
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  DescribeAutoScalingGroupsCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DisableEbsEncryptionByDefaultCommand,
  GetEbsEncryptionByDefaultCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { EC2Client, RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import { CreateAccessKeyCommand, CreateUserCommand, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import type { Client } from '@temporalio/client';
import type { AwsClients } from '../aws/clients';
import type { PhaseStatus } from '../domain/remediation';
import { approvalUpdate } from '../workflows/definitions';
import { operatorIdentity } from './decide';

/** One demo scenario. */
export interface DemoScenario {
  readonly title: string;
  readonly eventFile: string;
  /** Creates the resource in moto; returns the changes to apply to the example event. */
  arrange(aws: DemoAws): Promise<(event: Record<string, unknown>) => Record<string, unknown>>;
  /** What happens while the execution is in a phase (the load drops, an operator approves); returns a line. */
  readonly meanwhile?: {
    readonly phase: PhaseStatus;
    act(aws: DemoAws, workflowId: string): Promise<string>;
  };
  /** One line about the resource afterwards. */
  after(aws: DemoAws): Promise<string>;
}

/** Clients of the demo's account and region. */
export interface DemoAws {
  readonly clients: AwsClients;
  /** The local stack's Temporal client, for what an operator does (approve). */
  readonly temporal: Client;
  readonly account: string;
  readonly region: string;
  /** Scratch space between arrange and after. */
  readonly state: Record<string, string>;
}

const ec2Of = (aws: DemoAws): EC2Client => aws.clients.ec2(aws.account, aws.region);

async function metadataOptions(aws: DemoAws, instanceId: string | undefined): Promise<string> {
  const out = await ec2Of(aws).send(new DescribeInstancesCommand({ InstanceIds: [instanceId ?? ''] }));
  const o = out.Reservations?.[0]?.Instances?.[0]?.MetadataOptions;
  return `${instanceId}: HttpTokens=${o?.HttpTokens}, hop limit ${o?.HttpPutResponseHopLimit} (kept), State=${o?.State}`;
}

async function groupsOf(aws: DemoAws, instanceId: string | undefined): Promise<string> {
  const out = await ec2Of(aws).send(new DescribeInstancesCommand({ InstanceIds: [instanceId ?? ''] }));
  const instance = out.Reservations?.[0]?.Instances?.[0];
  const groups = instance?.NetworkInterfaces?.[0]?.Groups?.map((g) => g.GroupName);
  return `${instanceId} (${instance?.State?.Name}) network interface groups: ${groups?.join(', ')}`;
}

/** Points a GuardDuty EC2 example event at the instance the scenario launched. */
const guardDutyAbout =
  (instanceId: string | undefined) =>
  (event: Json): Json => {
    const detail = event.detail as Json & { resource: Json & { instanceDetails: Json } };
    return withDetail({
      resource: { ...detail.resource, instanceDetails: { ...detail.resource.instanceDetails, instanceId } },
    })(event);
  };

async function launch(aws: DemoAws, extra: Partial<RunInstancesCommandInput> = {}): Promise<string> {
  const ec2 = ec2Of(aws);
  const image = (await ec2.send(new DescribeImagesCommand({}))).Images?.find((i) => i.ImageId)?.ImageId;
  const out = await ec2.send(
    new RunInstancesCommand({ ImageId: image, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, ...extra }),
  );
  return out.Instances?.[0]?.InstanceId ?? '';
}

type Json = Record<string, unknown>;
const withDetail =
  (patch: Json) =>
  (event: Json): Json => ({ ...event, detail: { ...(event.detail as Json), ...patch } });

/** Every scenario the demo can show, in the order it shows them. */
export const DEMO_SCENARIOS: readonly DemoScenario[] = [
  {
    title: 'EBS encryption by default is off (Config ec2-ebs-encryption-by-default)',
    eventFile: 'config-ebs-encryption-by-default-noncompliant.json',
    arrange: async (aws) => {
      await ec2Of(aws).send(new DisableEbsEncryptionByDefaultCommand({}));
      return (event) => event;
    },
    after: async (aws) =>
      `EBS encryption by default: ${(await ec2Of(aws).send(new GetEbsEncryptionByDefaultCommand({}))).EbsEncryptionByDefault ? 'on' : 'off'}`,
  },
  {
    title: 'An instance accepts IMDSv1 (Config ec2-imdsv2-check)',
    eventFile: 'config-ec2-imdsv2-noncompliant.json',
    arrange: async (aws) => {
      aws.state.imds = await launch(aws, {
        MetadataOptions: { HttpTokens: 'optional', HttpPutResponseHopLimit: 2 },
      });
      return withDetail({ resourceId: aws.state.imds });
    },
    after: async (aws) => metadataOptions(aws, aws.state.imds),
  },
  {
    title: 'SSH open to the world next to a private rule (Config restricted-ssh)',
    eventFile: 'config-restricted-ssh-noncompliant.json',
    arrange: async (aws) => {
      const ec2 = ec2Of(aws);
      const { GroupId } = await ec2.send(
        new CreateSecurityGroupCommand({ GroupName: 'demo-ssh', Description: 'demo' }),
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
      aws.state.sg = GroupId ?? '';
      return withDetail({ resourceId: GroupId });
    },
    after: async (aws) => {
      const out = await ec2Of(aws).send(
        new DescribeSecurityGroupsCommand({ GroupIds: [aws.state.sg ?? ''] }),
      );
      const rules = (out.SecurityGroups?.[0]?.IpPermissions ?? []).flatMap((p) =>
        (p.IpRanges ?? []).map((r) => `${p.IpProtocol} ${p.FromPort} from ${r.CidrIp}`),
      );
      return `${aws.state.sg} ingress: ${rules.join(', ') || 'none'}`;
    },
  },
  {
    title: 'GuardDuty: an instance talks to Tor (UnauthorizedAccess:EC2/TorClient, actor)',
    eventFile: 'guardduty-ec2-unauthorized-access.json',
    arrange: async (aws) => {
      aws.state.tor = await launch(aws, { InstanceInitiatedShutdownBehavior: 'stop' });
      return guardDutyAbout(aws.state.tor);
    },
    after: async (aws) => groupsOf(aws, aws.state.tor),
  },
  {
    title: 'GuardDuty: a long-term access key used from a malicious IP (UnauthorizedAccess:IAMUser)',
    eventFile: 'guardduty-iam-user-access-key.json',
    arrange: async (aws) => {
      const iam = aws.clients.iam(aws.account);
      await iam.send(new CreateUserCommand({ UserName: 'ci-deployer' }));
      aws.state.key =
        (await iam.send(new CreateAccessKeyCommand({ UserName: 'ci-deployer' }))).AccessKey?.AccessKeyId ??
        '';
      return (event) => {
        const detail = event.detail as Json & { resource: Json & { accessKeyDetails: Json } };
        return withDetail({
          resource: {
            ...detail.resource,
            accessKeyDetails: { ...detail.resource.accessKeyDetails, accessKeyId: aws.state.key },
          },
        })(event);
      };
    },
    after: async (aws) => {
      const keys = await aws.clients
        .iam(aws.account)
        .send(new ListAccessKeysCommand({ UserName: 'ci-deployer' }));
      return `ci-deployer keys: ${(keys.AccessKeyMetadata ?? []).map((k) => `${k.AccessKeyId} ${k.Status}`).join(', ')}`;
    },
  },
  {
    title: "CloudWatch: StatusCheckFailed_System with the alarm's ec2:recover action",
    eventFile: 'cloudwatch-alarm-status-check-failed.json',
    arrange: async (aws) => {
      aws.state.sick = await launch(aws);
      await aws.clients.cloudwatch(aws.account, aws.region).send(
        new PutMetricAlarmCommand({
          AlarmName: 'ec2-recovery-alarm',
          Namespace: 'AWS/EC2',
          MetricName: 'StatusCheckFailed_System',
          Dimensions: [{ Name: 'InstanceId', Value: aws.state.sick }],
          Statistic: 'Maximum',
          Period: 60,
          EvaluationPeriods: 2,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          AlarmActions: [`arn:aws:automate:${aws.region}:ec2:recover`],
        }),
      );
      // The alarm as the event reports it (moto starts alarms in OK; an alarm back in OK needs nothing).
      await aws.clients.cloudwatch(aws.account, aws.region).send(
        new SetAlarmStateCommand({
          AlarmName: 'ec2-recovery-alarm',
          StateValue: 'ALARM',
          StateReason: 'demo',
        }),
      );
      return (event) => {
        const detail = event.detail as Json & {
          configuration: { metrics: Array<{ metricStat: { metric: Json } }> };
        };
        const metric = detail.configuration.metrics[0]?.metricStat.metric ?? {};
        return withDetail({
          configuration: {
            metrics: [
              { id: 'm1', metricStat: { metric: { ...metric, dimensions: { InstanceId: aws.state.sick } } } },
            ],
          },
        })(event);
      };
    },
    after: async (aws) => {
      const alarms = await aws.clients
        .cloudwatch(aws.account, aws.region)
        .send(new DescribeAlarmsCommand({ AlarmNames: ['ec2-recovery-alarm'] }));
      return `${aws.state.sick}: left to EC2's recover action (${alarms.MetricAlarms?.[0]?.AlarmActions?.join(', ')}), status checks verified`;
    },
  },
  {
    title:
      'GuardDuty: an instance mines cryptocurrency (CryptoCurrency:EC2/BitcoinTool.B!DNS; not stopped by default)',
    eventFile: 'guardduty-ec2-cryptocurrency.json',
    arrange: async (aws) => {
      aws.state.miner = await launch(aws, { InstanceInitiatedShutdownBehavior: 'stop' });
      return guardDutyAbout(aws.state.miner);
    },
    after: async (aws) => groupsOf(aws, aws.state.miner),
  },
  {
    title:
      'Security Hub EC2.8: the same IMDSv2 fix, from an ASFF finding (ARN normalised to the instance id)',
    eventFile: 'securityhub-ec2.8-failed.json',
    arrange: async (aws) => {
      aws.state.hub = await launch(aws, { MetadataOptions: { HttpTokens: 'optional' } });
      return (event) => {
        const [finding] = (event.detail as { findings: Json[] }).findings;
        const resources = (finding?.Resources as Json[] | undefined) ?? [];
        const arn = `arn:aws:ec2:${aws.region}:${aws.account}:instance/${aws.state.hub}`;
        return withDetail({ findings: [{ ...finding, Resources: [{ ...resources[0], Id: arn }] }] })(event);
      };
    },
    after: async (aws) => metadataOptions(aws, aws.state.hub),
  },
  {
    title: 'An instance that used IMDSv1 in the last day: the fix waits for an operator (approval)',
    eventFile: 'config-ec2-imdsv2-noncompliant.json',
    arrange: async (aws) => {
      aws.state.legacy = await launch(aws, { MetadataOptions: { HttpTokens: 'optional' } });
      await aws.clients.cloudwatch(aws.account, aws.region).send(
        new PutMetricDataCommand({
          Namespace: 'AWS/EC2',
          MetricData: [
            {
              MetricName: 'MetadataNoToken',
              Dimensions: [{ Name: 'InstanceId', Value: aws.state.legacy }],
              Value: 4,
            },
          ],
        }),
      );
      return withDetail({ resourceId: aws.state.legacy });
    },
    meanwhile: {
      phase: 'AWAITING_APPROVAL',
      act: async (aws, workflowId) => {
        const by = operatorIdentity();
        const receipt = await aws.temporal.workflow.getHandle(workflowId).executeUpdate(approvalUpdate, {
          args: [{ decision: 'approve', reason: 'demo: the application was checked for IMDSv2 support', by }],
        });
        return `Waited for approval; approved as ${receipt.by} (what \`remediator approve ${workflowId} --reason …\` does).`;
      },
    },
    after: async (aws) => metadataOptions(aws, aws.state.legacy),
  },
  {
    title: 'CloudWatch: high CPU on an Auto Scaling group whose alarm has no scaling action (scale out)',
    eventFile: 'cloudwatch-alarm-high-cpu.json',
    arrange: async (aws) => {
      const seed = await launch(aws);
      const instance = (await ec2Of(aws).send(new DescribeInstancesCommand({ InstanceIds: [seed] })))
        .Reservations?.[0]?.Instances?.[0];
      const autoscaling = aws.clients.autoscaling(aws.account, aws.region);
      await autoscaling.send(
        new CreateLaunchConfigurationCommand({
          LaunchConfigurationName: 'web-lc',
          ImageId: instance?.ImageId,
          InstanceType: 't3.micro',
        }),
      );
      await autoscaling.send(
        new CreateAutoScalingGroupCommand({
          AutoScalingGroupName: 'web-asg',
          LaunchConfigurationName: 'web-lc',
          MinSize: 0,
          MaxSize: 3,
          DesiredCapacity: 1,
          VPCZoneIdentifier: instance?.SubnetId,
        }),
      );
      const cloudwatch = aws.clients.cloudwatch(aws.account, aws.region);
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
        new SetAlarmStateCommand({
          AlarmName: 'high-cpu-alarm',
          StateValue: 'ALARM',
          StateReason: 'demo load',
        }),
      );
      return (event) => event;
    },
    meanwhile: {
      phase: 'VERIFYING',
      act: async (aws) => {
        // moto does not evaluate alarms: the demo plays CloudWatch and lets the new capacity take the load.
        await aws.clients.cloudwatch(aws.account, aws.region).send(
          new SetAlarmStateCommand({
            AlarmName: 'high-cpu-alarm',
            StateValue: 'OK',
            StateReason: 'load spread',
          }),
        );
        return 'While the workflow read the alarm back, the added instance took the load and the alarm went back to OK.';
      },
    },
    after: async (aws) => {
      const group = await aws.clients
        .autoscaling(aws.account, aws.region)
        .send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web-asg'] }));
      return `web-asg desired capacity: ${group.AutoScalingGroups?.[0]?.DesiredCapacity} (was 1, max 3)`;
    },
  },
];
