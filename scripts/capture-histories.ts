/**
 * Captures workflow histories from real runs (Temporal dev server + moto) into test/replay/histories/, for the replay
 * test: every playbook's success and escalation paths, approval, rejection, a regression fixed again, a cancellation,
 * a rollback and the control workflow. Until the first release a workflow change that breaks replay re-captures them
 * deliberately, with the reason in the commit (docs/architecture.md, Versioning workflow changes):
 *   TEMPORAL_CLI_PATH=$(bash scripts/ensure-temporal.sh) npx tsx scripts/capture-histories.ts [scenario-name...]
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CloudWatchClient,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DisableEbsEncryptionByDefaultCommand,
} from '@aws-sdk/client-ec2';
import { DeletePublicAccessBlockCommand } from '@aws-sdk/client-s3';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import type { WorkflowHandle } from '@temporalio/client';
import type { InitializeMiddleware, MetadataBearer } from '@aws-sdk/types';
import type { AwsClients } from '../src/aws/clients';
import { isPlaybookId } from '../src/domain/playbooks';
import { SETUPS } from '../test/conformance/setups';
import { cancelRemediation } from '../src/commands/cancel';
import { rollback } from '../src/commands/rollback';
import { loadDevStackConfig } from '../src/config';
import { controlWorkflowId } from '../src/workflows/control-definitions';
import { rollbackWorkflowId } from '../src/workflows/rollback-definitions';
import type { PlaybookSettings } from '../src/domain/policy';
import { approvalSignal, approvalUpdate, statusQuery } from '../src/workflows/definitions';
import { remediationWorkflowId } from '../src/domain/finding';
import type { Finding } from '../src/domain/finding';
import type { FindingDispatcher } from '../src/ingest/dispatcher';
import { createBucket, FIXTURE_ACCOUNT, FIXTURE_REGION, TEST_CREDENTIALS } from '../test/helpers/aws';
import { launchInstance, motoEc2 } from '../test/helpers/ec2';
import {
  alarmFinding,
  configFinding,
  fastSettings,
  guardDutyFinding,
  s3Finding,
} from '../test/helpers/fixtures';
import { cpuAlarmGroup } from '../test/helpers/asg';
import { InterceptingClients } from '../test/helpers/intercepting-clients';
import { startWorkflowStack } from '../test/helpers/workflow-stack';
import { dispatcherWith } from '../test/helpers/worker-policies';

const OUT = join(__dirname, '../test/replay/histories');

interface Scenario {
  readonly name: string;
  readonly playbook: string;
  /** Policy settings for this scenario over the fast defaults (e.g. `mode: 'approve'`). */
  readonly settings?: Partial<PlaybookSettings>;
  /** AWS commands that fail with AccessDenied for this scenario: a permanent error moto cannot produce. */
  readonly denied?: readonly string[];
  /** Every command of a kit playbook's clients that is not a read fails with AccessDenied. */
  readonly deniedKitChanges?: boolean;
  /** Arranges moto and returns the findings to send, in order. */
  arrange(): Promise<Finding[]>;
  /** What an operator (or the world) does while the execution runs: approve, reject, cancel, re-break. */
  act?(handle: WorkflowHandle, dispatcher: FindingDispatcher): Promise<void>;
  /** After the remediation: more workflows to capture (a rollback, the control plane), by file-name suffix. */
  after?(handle: WorkflowHandle, taskQueue: string): Promise<Record<string, string>>;
}

/** Polls until the execution waits for approval; returns the request id. */
async function waitingRequest(handle: WorkflowHandle): Promise<string> {
  for (let i = 0; i < 200; i += 1) {
    const ask = (await handle.query(statusQuery)).awaitingApproval;
    if (ask) return ask.requestId;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${handle.workflowId} never asked for approval`);
}

/** Polls until the execution has recorded `count` outcomes. */
async function outcomesAtLeast(handle: WorkflowHandle, count: number): Promise<void> {
  for (let i = 0; i < 300; i += 1) {
    if ((await handle.query(statusQuery)).outcomes.length >= count) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${handle.workflowId} never reached ${count} outcomes`);
}

/** A middleware that fails the commands `denies` names with AccessDenied, the way IAM refuses a call. */
function denyMiddleware(denies: (command: string) => boolean): InitializeMiddleware<object, MetadataBearer> {
  return (next, context) => async (args) => {
    if (denies(String(context.commandName))) {
      throw Object.assign(new Error(`not authorized to perform ${String(context.commandName)}`), {
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
      });
    }
    return next(args);
  };
}

/** The product's clients on moto, with the deny on the named EC2 and S3 clients and on every kit playbook's client. */
class DenyingClients extends InterceptingClients {
  constructor(
    endpoint: string,
    private readonly denies: (command: string) => boolean,
  ) {
    super(endpoint, 'deny');
    const deny = denyMiddleware(denies);
    this.ec2(FIXTURE_ACCOUNT, FIXTURE_REGION).middlewareStack.add(deny, { step: 'initialize', name: 'deny' });
    this.s3(FIXTURE_ACCOUNT, FIXTURE_REGION).middlewareStack.add(deny, { step: 'initialize', name: 'deny' });
  }

  protected intercept(): InitializeMiddleware<object, MetadataBearer> {
    return denyMiddleware(this.denies);
  }
}

/** Clients for a scenario that denies commands, or none (the stack's own). */
function scenarioClients(endpoint: string, scenario: Scenario): AwsClients | undefined {
  const named = scenario.denied;
  if (named) return new DenyingClients(endpoint, (command) => named.includes(command));
  if (scenario.deniedKitChanges) {
    return new DenyingClients(endpoint, (command) => !/^(Get|Describe|List)/.test(command));
  }
  return undefined;
}

async function main(): Promise<void> {
  const stack = await startWorkflowStack();
  const endpoint = stack.moto.endpoint;
  const ec2 = motoEc2(endpoint);
  const common = { endpoint, region: FIXTURE_REGION, credentials: TEST_CREDENTIALS };
  const where = { account: FIXTURE_ACCOUNT, region: FIXTURE_REGION };
  const cloudwatch = new CloudWatchClient(common);

  /** A role and a GuardDuty finding about a temporary key of one of its sessions. */
  const roleSession = async (roleName: string, keyId: string): Promise<Finding> => {
    const iam = new IAMClient({ ...common, region: 'us-east-1' });
    await iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        }),
      }),
    );
    iam.destroy();
    return guardDuty('AWS::IAM::AccessKey', keyId, 'UnauthorizedAccess:IAMUser/TorIPCaller', {
      resourceRole: 'TARGET',
      accessKeyId: keyId,
      userName: roleName,
      userType: 'AssumedRole',
    });
  };
  /** The scale-out scenes (test/helpers/asg.ts), by group name, so a scenario can move its alarm later. */
  const groups = new Map<string, Awaited<ReturnType<typeof cpuAlarmGroup>>>();
  const alarmGroup = async (name: string): Promise<Finding> => {
    const group = await cpuAlarmGroup(endpoint, name);
    groups.set(name, group);
    return group.finding;
  };
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
      name: 's3-remediated-rolled-back',
      playbook: 's3-block-public-access',
      // A real propagation wait, as the default policy has (60 s there): the cost section counts this path's timer.
      settings: { propagationWaitMs: 200 },
      arrange: async () => {
        await createBucket(stack.raw.s3, 'replay-controls');
        return [s3Finding('replay-controls')];
      },
      after: async (handle, taskQueue) => {
        const result = await rollback(stack.env.client, taskQueue, {
          workflowId: handle.workflowId,
          reason: 'capture: rollback path',
          by: 'capture@replay',
          force: false,
          exemptFor: '1h',
          // The capture worker holds the local stack's policy, which takes unsigned decisions.
          unsigned: true,
        });
        process.stdout.write(`rollback: ${result.status}\n`);
        const { runId } = await handle.describe();
        return {
          rollback: rollbackWorkflowId(handle.workflowId, runId),
          control: controlWorkflowId(taskQueue),
        };
      },
    },
    {
      // A finding for an account the worker does not serve: refused before any AWS call, on-call paged.
      name: 's3-refused-out-of-scope',
      playbook: 's3-block-public-access',
      arrange: () =>
        Promise.resolve([
          s3Finding('replay-elsewhere', {
            resource: {
              account: '999999999999',
              region: 'ap-northeast-1',
              resourceType: 'AWS::S3::Bucket',
              resourceId: 'replay-elsewhere',
            },
          }),
        ]),
    },
    {
      // Fixed, opened again by someone, reported NON_COMPLIANT again (a newer evaluation): fixed again.
      name: 's3-remediated-broken-again-remediated',
      playbook: 's3-block-public-access',
      arrange: async () => {
        await createBucket(stack.raw.s3, 'replay-broken-again');
        return [s3Finding('replay-broken-again')];
      },
      act: async (handle, dispatcher) => {
        await outcomesAtLeast(handle, 1);
        await stack.raw.s3.send(new DeletePublicAccessBlockCommand({ Bucket: 'replay-broken-again' }));
        const again = s3Finding('replay-broken-again', {
          eventId: 'evt-broken-again',
          observedAt: new Date().toISOString(),
        });
        await dispatcher.start({ finding: again, playbook: 's3-block-public-access' });
        await outcomesAtLeast(handle, 2);
      },
    },
    {
      // Cancelled by an operator while it waits for approval: nothing changed, CANCELLED recorded, then Canceled.
      name: 's3-cancelled-awaiting-approval',
      playbook: 's3-block-public-access',
      settings: { mode: 'approve' },
      arrange: async () => {
        await createBucket(stack.raw.s3, 'replay-cancelled');
        return [s3Finding('replay-cancelled')];
      },
      act: async (handle) => {
        await waitingRequest(handle);
        await cancelRemediation(stack.env.client, handle.workflowId, {
          by: 'capture@replay',
          reason: 'capture: cancellation path',
        });
      },
    },
    {
      // Under a breaker the admission is counted by an update on the control workflow (the cost section bills it).
      name: 's3-remediated-under-breaker',
      playbook: 's3-block-public-access',
      settings: { breaker: { maxPerWindow: 100, windowMs: 3_600_000 } },
      arrange: async () => {
        await createBucket(stack.raw.s3, 'replay-breaker');
        return [s3Finding('replay-breaker')];
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
      name: 'imdsv2-approved-remediated',
      playbook: 'ec2-enforce-imdsv2',
      act: async (handle) => {
        const requestId = await waitingRequest(handle);
        await handle.executeUpdate(approvalUpdate, {
          args: [{ decision: 'approve', reason: 'app supports IMDSv2', by: 'capture@replay', requestId }],
        });
      },
      arrange: async () => {
        const id = await launchInstance(ec2, { MetadataOptions: { HttpTokens: 'optional' } });
        await cloudwatch.send(
          new PutMetricDataCommand({
            Namespace: 'AWS/EC2',
            MetricData: [
              { MetricName: 'MetadataNoToken', Dimensions: [{ Name: 'InstanceId', Value: id }], Value: 2 },
            ],
          }),
        );
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
      // A best-effort step after containment fails for good: the rest goes on, verified, then escalated.
      name: 'isolate-instance-snapshot-denied-escalated',
      playbook: 'ec2-isolate-instance',
      denied: ['CreateSnapshotCommand'],
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
      name: 'sg-all-protocol-rejected',
      playbook: 'sg-close-admin-ports',
      act: async (handle) => {
        await waitingRequest(handle);
        await handle.signal(approvalSignal, {
          decision: 'reject',
          reason: 'load balancer health checks need it',
          by: 'capture (web ui)',
        });
      },
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
      name: 'iam-temporary-credentials-approval-timeout',
      playbook: 'iam-contain-access-key',
      settings: { approvalTimeoutMs: 1000 },
      arrange: async () => [await roleSession('replay-timeout-role', 'ASIAREPLAYTEMPKEY001')],
    },
    {
      name: 'iam-role-sessions-approved-remediated',
      playbook: 'iam-contain-access-key',
      arrange: async () => [await roleSession('replay-approved-role', 'ASIAREPLAYTEMPKEY002')],
      act: async (handle) => {
        const requestId = await waitingRequest(handle);
        await handle.executeUpdate(approvalUpdate, {
          args: [{ decision: 'approve', reason: 'cut the stolen session', by: 'capture@replay', requestId }],
        });
      },
    },
    {
      name: 'recovery-escalated-no-recover-action',
      playbook: 'ec2-instance-recovery',
      arrange: async () => {
        const id = await launchInstance(ec2);
        return [
          alarmFinding('AWS::EC2::Instance', id, 'AWS/EC2/StatusCheckFailed_System', 'replay-missing-alarm'),
        ];
      },
    },
    {
      name: 'recovery-remediated',
      playbook: 'ec2-instance-recovery',
      arrange: async () => {
        const id = await launchInstance(ec2);
        await cloudwatch.send(
          new PutMetricAlarmCommand({
            AlarmName: 'replay-recover',
            Namespace: 'AWS/EC2',
            MetricName: 'StatusCheckFailed_System',
            Dimensions: [{ Name: 'InstanceId', Value: id }],
            Statistic: 'Maximum',
            Period: 60,
            EvaluationPeriods: 2,
            Threshold: 1,
            ComparisonOperator: 'GreaterThanOrEqualToThreshold',
            AlarmActions: [`arn:aws:automate:${FIXTURE_REGION}:ec2:recover`],
          }),
        );
        // In ALARM, as the finding says (moto starts alarms in OK, and an alarm back in OK needs nothing).
        await cloudwatch.send(
          new SetAlarmStateCommand({
            AlarmName: 'replay-recover',
            StateValue: 'ALARM',
            StateReason: 'capture',
          }),
        );
        return [alarmFinding('AWS::EC2::Instance', id, 'AWS/EC2/StatusCheckFailed_System', 'replay-recover')];
      },
    },
    {
      name: 'scale-out-remediated',
      playbook: 'asg-scale-out',
      settings: { propagationWaitMs: 2000 },
      arrange: async () => [await alarmGroup('replay-asg-ok')],
      act: async (handle) => {
        // The added capacity takes the load while the workflow waits: the alarm returns to OK.
        for (let i = 0; i < 200; i += 1) {
          if ((await handle.query(statusQuery)).phase === 'VERIFYING') break;
          await new Promise((r) => setTimeout(r, 50));
        }
        await groups.get('replay-asg-ok')?.setAlarm('OK');
      },
    },
    {
      name: 'scale-out-escalated-alarm-stays',
      playbook: 'asg-scale-out',
      arrange: async () => [await alarmGroup('replay-asg-busy')],
    },
    {
      name: 'imdsv2-escalated-access-denied',
      playbook: 'ec2-enforce-imdsv2',
      denied: ['ModifyInstanceMetadataOptionsCommand'],
      arrange: async () => {
        const id = await launchInstance(ec2, { MetadataOptions: { HttpTokens: 'optional' } });
        return [
          configFinding('ec2-imdsv2-check', { ...where, resourceType: 'AWS::EC2::Instance', resourceId: id }),
        ];
      },
    },
    {
      name: 'sg-escalated-revoke-denied',
      playbook: 'sg-close-admin-ports',
      denied: ['RevokeSecurityGroupIngressCommand'],
      arrange: async () => {
        const { GroupId } = await ec2.send(
          new CreateSecurityGroupCommand({ GroupName: 'replay-denied', Description: 'denied' }),
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
      name: 's3-escalated-access-denied',
      playbook: 's3-block-public-access',
      denied: ['PutPublicAccessBlockCommand'],
      arrange: async () => {
        await createBucket(stack.raw.s3, 'replay-denied');
        return [s3Finding('replay-denied')];
      },
    },
    {
      name: 'ebs-escalated-access-denied',
      playbook: 'ebs-encryption-by-default',
      denied: ['EnableEbsEncryptionByDefaultCommand'],
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
    // Every kit playbook written after the first eight (whose scenarios are above), from its conformance setup: fixed,
    // and escalated when its changes are refused.
    ...SETUPS.filter((setup) => !isPlaybookId(setup.playbook.id)).flatMap((setup): Scenario[] => {
      const arrange = async () => [
        await setup.nonCompliant({ endpoint, ...where, unique: `replay${randomUUID().slice(0, 6)}` }),
      ];
      const id = setup.playbook.id;
      // A playbook without steps only escalates: that is its one history.
      if (setup.playbook.steps.length === 0) return [{ name: `${id}-escalated`, playbook: id, arrange }];
      // The options its setup gives (a KMS key, a destination), as the policy would.
      const settings = setup.options ? { settings: { options: setup.options } } : {};
      return [
        { name: `${id}-remediated`, playbook: id, arrange, ...settings },
        { name: `${id}-escalated-access-denied`, playbook: id, deniedKitChanges: true, arrange, ...settings },
      ];
    }),
  ];
  // Names on the command line capture only those scenarios (the others' files stay as they are).
  const only = process.argv.slice(2);
  try {
    for (const scenario of scenarios.filter((sc) => only.length === 0 || only.includes(sc.name))) {
      const taskQueue = `capture-${randomUUID()}`;
      const clients = scenarioClients(endpoint, scenario);
      const worker = await stack.worker(taskQueue, stack.activities(clients));
      const dispatcher = dispatcherWith(
        stack.env.client,
        taskQueue,
        fastSettings(scenario.settings ?? {}, 2000),
      );
      await worker.runUntil(async () => {
        const findings = await scenario.arrange();
        for (const finding of findings) await dispatcher.start({ finding, playbook: scenario.playbook });
        const first = findings[0];
        if (!first) return;
        const handle = stack.env.client.workflow.getHandle(remediationWorkflowId(first.resource));
        await scenario.act?.(handle, dispatcher);
        const result = await handle.result().then(
          (r) => r as { status: string },
          (err: unknown) => ({ status: `ended: ${String(err)}` }),
        );
        const extra = (await scenario.after?.(handle, taskQueue)) ?? {};
        const exports: Array<[string, string]> = [
          [scenario.name, handle.workflowId],
          ...Object.entries(extra).map(([suffix, id]): [string, string] => [
            `${scenario.name}-${suffix}`,
            id,
          ]),
        ];
        for (const [name, workflowId] of exports) {
          // Exported the way an operator would, with the Temporal CLI, so `remediator replay` takes the same files.
          const json = execFileSync(loadDevStackConfig().temporalCliPath, [
            'workflow',
            'show',
            '--address',
            stack.env.address,
            '--workflow-id',
            workflowId,
            '--output',
            'json',
          ]).toString();
          writeFileSync(join(OUT, `${name}.json`), json);
          const events = (JSON.parse(json) as { events: unknown[] }).events.length;
          process.stdout.write(`captured ${name}: ${result.status}, ${events} events\n`);
        }
      });
    }
  } finally {
    ec2.destroy();
    cloudwatch.destroy();
    for (const group of groups.values()) group.destroy();
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
