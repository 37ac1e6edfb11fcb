/**
 * Captures workflow histories from real runs (Temporal dev server + moto) into test/replay/histories/, for the replay
 * test: every playbook's success path and the escalation paths that need no injected failure. Files named
 * `before-*` were captured by earlier workflow code and stay, so versioned (`patched`) changes keep replaying them.
 * Re-run deliberately,
 * and say why in the commit, when a workflow change is meant to break replay:
 *   TEMPORAL_CLI_PATH=$(bash scripts/ensure-temporal.sh) npx tsx scripts/capture-histories.ts
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutMetricDataCommand, CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DisableEbsEncryptionByDefaultCommand,
} from '@aws-sdk/client-ec2';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { loadDevStackConfig } from '../src/config';
import { remediationWorkflowId } from '../src/domain/finding';
import type { Finding } from '../src/domain/finding';
import { FindingDispatcher } from '../src/ingest/dispatcher';
import { createBucket, FIXTURE_ACCOUNT, FIXTURE_REGION, TEST_CREDENTIALS } from '../test/helpers/aws';
import { launchInstance, motoEc2 } from '../test/helpers/ec2';
import { configFinding, fastSettings, guardDutyFinding, s3Finding } from '../test/helpers/fixtures';
import { startWorkflowStack } from '../test/helpers/workflow-stack';

const OUT = join(__dirname, '../test/replay/histories');

interface Scenario {
  readonly name: string;
  readonly playbook: string;
  /** Arranges moto and returns the findings to send, in order. */
  arrange(): Promise<Finding[]>;
}

async function main(): Promise<void> {
  const stack = await startWorkflowStack();
  const endpoint = stack.moto.endpoint;
  const ec2 = motoEc2(endpoint);
  const common = { endpoint, region: FIXTURE_REGION, credentials: TEST_CREDENTIALS };
  const where = { account: FIXTURE_ACCOUNT, region: FIXTURE_REGION };
  const guardDuty = (
    resourceType: 'AWS::EC2::Instance' | 'AWS::IAM::AccessKey',
    resourceId: string,
    control: string,
    details: Record<string, string>,
  ): Finding =>
    guardDutyFinding(resourceType, resourceId, {
      control,
      title: control,
      details: { guardDutyFindingId: `gd-${resourceId}`, ...details },
    });

  const scenarios: Scenario[] = [
    {
      name: 's3-remediated-with-repeat-and-new-control',
      playbook: 's3-block-public-access',
      arrange: async () => {
        await createBucket(stack.raw.s3, 'replay-public');
        return [
          s3Finding('replay-public'),
          s3Finding('replay-public', { eventId: 'evt-repeat' }),
          s3Finding('replay-public', { control: 's3-bucket-public-write-prohibited' }),
        ];
      },
    },
    {
      name: 's3-no-action-bucket-gone',
      playbook: 's3-block-public-access',
      arrange: async () => [s3Finding('replay-gone')],
    },
    {
      name: 'ebs-encryption-remediated',
      playbook: 'ebs-encryption-by-default',
      arrange: async () => {
        await ec2.send(new DisableEbsEncryptionByDefaultCommand({}));
        return [
          configFinding('ec2-ebs-encryption-by-default', {
            ...where,
            resourceType: 'AWS::::Account',
            resourceId: FIXTURE_ACCOUNT,
          }),
        ];
      },
    },
    {
      name: 'imdsv2-escalated-needs-approval',
      playbook: 'ec2-enforce-imdsv2',
      arrange: async () => {
        const id = await launchInstance(ec2, { MetadataOptions: { HttpTokens: 'optional' } });
        const cw = new CloudWatchClient(common);
        await cw.send(
          new PutMetricDataCommand({
            Namespace: 'AWS/EC2',
            MetricData: [
              { MetricName: 'MetadataNoToken', Dimensions: [{ Name: 'InstanceId', Value: id }], Value: 2 },
            ],
          }),
        );
        cw.destroy();
        return [
          configFinding('ec2-imdsv2-check', { ...where, resourceType: 'AWS::EC2::Instance', resourceId: id }),
        ];
      },
    },
    {
      name: 'imdsv2-remediated',
      playbook: 'ec2-enforce-imdsv2',
      arrange: async () => {
        const id = await launchInstance(ec2, { MetadataOptions: { HttpTokens: 'optional' } });
        return [
          configFinding('ec2-imdsv2-check', { ...where, resourceType: 'AWS::EC2::Instance', resourceId: id }),
        ];
      },
    },
    {
      name: 'sg-split-range-remediated',
      playbook: 'sg-close-admin-ports',
      arrange: async () => {
        const { GroupId } = await ec2.send(
          new CreateSecurityGroupCommand({ GroupName: 'replay-wide', Description: 'wide' }),
        );
        await ec2.send(
          new AuthorizeSecurityGroupIngressCommand({
            GroupId,
            IpPermissions: [
              { IpProtocol: 'tcp', FromPort: 0, ToPort: 1024, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
            ],
          }),
        );
        return [
          configFinding('restricted-ssh', {
            ...where,
            resourceType: 'AWS::EC2::SecurityGroup',
            resourceId: GroupId ?? '',
          }),
        ];
      },
    },
    {
      name: 'isolate-instance-remediated',
      playbook: 'ec2-isolate-instance',
      arrange: async () => {
        const id = await launchInstance(ec2, { InstanceInitiatedShutdownBehavior: 'stop' });
        return [
          guardDuty('AWS::EC2::Instance', id, 'UnauthorizedAccess:EC2/TorClient', { resourceRole: 'ACTOR' }),
        ];
      },
    },
    {
      name: 'isolate-instance-escalated-target',
      playbook: 'ec2-isolate-instance',
      arrange: async () => {
        const id = await launchInstance(ec2);
        return [
          guardDuty('AWS::EC2::Instance', id, 'UnauthorizedAccess:EC2/SSHBruteForce', {
            resourceRole: 'TARGET',
          }),
        ];
      },
    },
    {
      name: 'iam-access-key-remediated',
      playbook: 'iam-contain-access-key',
      arrange: async () => {
        const iam = new IAMClient({ ...common, region: 'us-east-1' });
        await iam.send(new CreateUserCommand({ UserName: 'replay-user' }));
        const key =
          (await iam.send(new CreateAccessKeyCommand({ UserName: 'replay-user' }))).AccessKey?.AccessKeyId ??
          '';
        iam.destroy();
        return [
          guardDuty('AWS::IAM::AccessKey', key, 'UnauthorizedAccess:IAMUser/MaliciousIPCaller', {
            resourceRole: 'TARGET',
            accessKeyId: key,
            userName: 'replay-user',
            userType: 'IAMUser',
          }),
        ];
      },
    },
    {
      name: 'sg-escalated-all-protocol-needs-approval',
      playbook: 'sg-close-admin-ports',
      arrange: async () => {
        const { GroupId } = await ec2.send(
          new CreateSecurityGroupCommand({ GroupName: 'replay-all', Description: 'all' }),
        );
        await ec2.send(
          new AuthorizeSecurityGroupIngressCommand({
            GroupId,
            IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
          }),
        );
        return [
          configFinding('restricted-ssh', {
            ...where,
            resourceType: 'AWS::EC2::SecurityGroup',
            resourceId: GroupId ?? '',
          }),
        ];
      },
    },
    {
      name: 'iam-escalated-temporary-credentials',
      playbook: 'iam-contain-access-key',
      arrange: async () => [
        guardDuty('AWS::IAM::AccessKey', 'ASIAREPLAYTEMPKEY001', 'UnauthorizedAccess:IAMUser/TorIPCaller', {
          resourceRole: 'TARGET',
          accessKeyId: 'ASIAREPLAYTEMPKEY001',
          userName: 'deploy-role',
          userType: 'AssumedRole',
        }),
      ],
    },
    {
      name: 'recovery-escalated-no-recover-action',
      playbook: 'ec2-instance-recovery',
      arrange: async () => {
        const id = await launchInstance(ec2);
        return [
          {
            ...guardDuty('AWS::EC2::Instance', id, 'AWS/EC2/StatusCheckFailed_System', {
              alarmName: 'replay-missing-alarm',
            }),
            source: 'aws.cloudwatch' as const,
          },
        ];
      },
    },
  ];
  try {
    const taskQueue = `capture-${randomUUID()}`;
    const worker = await stack.worker(taskQueue, stack.activities());
    const dispatcher = new FindingDispatcher(stack.env.client, taskQueue, fastSettings({}, 2000));
    await worker.runUntil(async () => {
      for (const scenario of scenarios) {
        const findings = await scenario.arrange();
        for (const finding of findings) await dispatcher.start({ finding, playbook: scenario.playbook });
        const first = findings[0];
        if (!first) continue;
        const handle = stack.env.client.workflow.getHandle(remediationWorkflowId(first.resource));
        const result = await handle.result();
        // Exported the way an operator would, with the Temporal CLI, so `remediator replay` takes the same files.
        const json = execFileSync(loadDevStackConfig().temporalCliPath, [
          'workflow',
          'show',
          '--address',
          stack.env.address,
          '--workflow-id',
          handle.workflowId,
          '--output',
          'json',
        ]).toString();
        writeFileSync(join(OUT, `${scenario.name}.json`), json);
        const events = (JSON.parse(json) as { events: unknown[] }).events.length;
        process.stdout.write(`captured ${scenario.name}: ${result.status}, ${events} events\n`);
      }
    });
  } finally {
    ec2.destroy();
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
