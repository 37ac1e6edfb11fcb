/**
 * The seed scenarios of `remediator demo --all`: each arranges moto, names the example event to put on EventBridge
 * (pointed at what it created, since moto picks resource ids), and reads the resource afterwards.
 */
import { DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
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
import type { AwsClients } from '../aws/clients';

/** One demo scenario. */
export interface DemoScenario {
  readonly title: string;
  readonly eventFile: string;
  /** Creates the resource in moto; returns the changes to apply to the example event. */
  arrange(aws: DemoAws): Promise<(event: Record<string, unknown>) => Record<string, unknown>>;
  /** One line about the resource afterwards. */
  after(aws: DemoAws): Promise<string>;
}

/** Clients of the demo's account and region. */
export interface DemoAws {
  readonly clients: AwsClients;
  readonly account: string;
  readonly region: string;
  /** Scratch space between arrange and after. */
  readonly state: Record<string, string>;
}

const ec2Of = (aws: DemoAws): EC2Client => aws.clients.ec2(aws.account, aws.region);

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
    after: async (aws) => {
      const out = await ec2Of(aws).send(
        new DescribeInstancesCommand({ InstanceIds: [aws.state.imds ?? ''] }),
      );
      const o = out.Reservations?.[0]?.Instances?.[0]?.MetadataOptions;
      return `${aws.state.imds}: HttpTokens=${o?.HttpTokens}, hop limit ${o?.HttpPutResponseHopLimit} (kept), State=${o?.State}`;
    },
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
      return (event) => {
        const detail = event.detail as Json & { resource: Json & { instanceDetails: Json } };
        return withDetail({
          resource: {
            ...detail.resource,
            instanceDetails: { ...detail.resource.instanceDetails, instanceId: aws.state.tor },
          },
        })(event);
      };
    },
    after: async (aws) => {
      const out = await ec2Of(aws).send(new DescribeInstancesCommand({ InstanceIds: [aws.state.tor ?? ''] }));
      const groups = out.Reservations?.[0]?.Instances?.[0]?.NetworkInterfaces?.[0]?.Groups?.map(
        (g) => g.GroupName,
      );
      return `${aws.state.tor} network interface groups: ${groups?.join(', ')}`;
    },
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
];
