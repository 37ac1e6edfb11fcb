/**
 * Fault injection at every step of isolation (`ec2-isolate-instance`): after every case each ENI of the instance is in
 * its original groups or exactly in the isolation group, never in the allow-all group, and the outcome says which.
 *
 * The instance has two ENIs (the second created and attached in its subnet), sits in an Auto Scaling group whose
 * target group it is registered in, and has its own VPC, so every case has its own isolation and allow-all groups.
 * Real workflows on the Temporal dev server, real activities talking to moto through the fault proxy
 * (test/helpers/aws-fault-proxy.ts), with the production client factory (SDK `maxAttempts` 2).
 *
 * 1. A clean isolation is recorded call by call; each mutating call position it makes is then, in its own case,
 *    denied for good (`UnauthorizedOperation` / `AccessDenied`, permanent) or throttled on every request
 *    (`RequestLimitExceeded` / `Throttling`) under a containment deadline of a few seconds, so the step runs out of
 *    attempts. The table below (`CASES`) is the documentation: the call, the fault, and the end state each case must
 *    reach. Calls the proxy names alike (the ENI moves, the two `CreateSecurityGroup`) are told apart by a label the
 *    EC2 client puts on each request (test/helpers/call-labels.ts).
 * 2. A real `remediator worker` process is killed (SIGKILL) between two calls of the isolation, then started again:
 *    the workflow must end isolated, verified and REMEDIATED, with the allow-all group deleted.
 *
 * The table of every case, its end state and outcome, is printed and written to /tmp/isolation-faults.md (and, with
 * every request of each case, to /tmp/isolation-faults.json).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttachInstancesCommand,
  AttachLoadBalancerTargetGroupsCommand,
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import type { Instance, IpPermission } from '@aws-sdk/client-ec2';
import {
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Worker } from '@temporalio/worker';
import {
  allowAllGroupName,
  isolationGroupName,
} from '../../src/playbooks/ec2-isolate-instance/isolation-groups';
import { AwsClients } from '../../src/aws/clients';
import { remediationWorkflowId } from '../../src/domain/finding';
import type { Finding } from '../../src/domain/finding';
import type { PlaybookSettings } from '../../src/domain/policy';
import type { Outcome, RemediationResult } from '../../src/domain/remediation';
import { FindingDispatcher } from '../../src/ingest/dispatcher';
import { FIXTURE_ACCOUNT, FIXTURE_REGION, TEST_CREDENTIALS } from '../helpers/aws';
import { startAwsFaultProxy } from '../helpers/aws-fault-proxy';
import type { ActiveRule, AwsCall, AwsFaultProxy, FaultRule } from '../helpers/aws-fault-proxy';
import { labelCalls } from '../helpers/call-labels';
import type { CallLabels } from '../helpers/call-labels';
import { Remediator, resultOf, sleep, standInForMissingApis } from '../helpers/crash-stack';
import { launchInstance, motoEc2 } from '../helpers/ec2';
import { fastSettings, guardDutyFinding } from '../helpers/fixtures';
import { startWorkflowStack } from '../helpers/workflow-stack';
import type { WorkflowStack } from '../helpers/workflow-stack';
import { dispatcherWith, policyFile } from '../helpers/worker-policies';

const PLAYBOOK = 'ec2-isolate-instance';
/** How long one containment step keeps retrying in part 1: a few seconds, so "past its attempts" comes quickly. */
const DEADLINE_MS = 6000;
const RETRY: PlaybookSettings['retry'] = {
  initialIntervalMs: 100,
  backoffCoefficient: 2,
  maximumAttempts: 4,
  maximumIntervalMs: 500,
};
const FAULT_SETTINGS = fastSettings({ containmentDeadlineMs: DEADLINE_MS, retry: RETRY }, 300);
/** Part 2: a 5 s activity timeout, so the heartbeat timeout (min(20 s, activityTimeoutMs)) is 5 s. */
const KILL_OVERRIDES: Partial<PlaybookSettings> = { activityTimeoutMs: 5000, retry: RETRY };
/** Fault cases running at once (each in its own VPC). */
const PARALLEL = 6;

// ---------------------------------------------------------------------------------------------------------------
// The call positions of an isolation and the fault table
// ---------------------------------------------------------------------------------------------------------------

/** Every mutating call position of a clean isolation of a two-ENI instance in an Auto Scaling group. */
const POSITIONS = [
  'ec2:ModifyInstanceAttribute termination',
  'ec2:CreateSecurityGroup isolation',
  'ec2:RevokeSecurityGroupEgress isolation',
  'ec2:CreateSecurityGroup allow-all',
  'ec2:AuthorizeSecurityGroupIngress allow-all',
  'ec2:AuthorizeSecurityGroupEgress allow-all',
  'ec2:ModifyNetworkInterfaceAttribute ENI1 → allow-all',
  'ec2:ModifyNetworkInterfaceAttribute ENI1 → isolation',
  'ec2:ModifyNetworkInterfaceAttribute ENI2 → allow-all',
  'ec2:ModifyNetworkInterfaceAttribute ENI2 → isolation',
  'ec2:DeleteSecurityGroup allow-all',
  'autoscaling:DetachInstances',
  'elasticloadbalancing:DeregisterTargets',
  'ec2:CreateTags instance',
  'ec2:CreateSnapshot',
] as const;
type Position = (typeof POSITIONS)[number];

/** Where an ENI is: its original groups, exactly the isolation group, the allow-all group (never), or else. */
type EniEnd = 'original' | 'isolation' | 'allow-all' | `other: ${string}`;
/** An expected ENI end: one, or any of a few (where a race the playbook allows decides). */
type EniExpect = EniEnd | readonly EniEnd[];
type FaultKind = 'deny' | 'throttle';

interface Expected {
  /** ENI1, ENI2 (in the order DescribeInstances lists them, which is the order the playbook moves them). */
  readonly enis: readonly [EniExpect, EniExpect];
  readonly status: 'REMEDIATED' | 'ESCALATED';
  /** Every one of these is in the outcome's reason. */
  readonly reasonContains: readonly string[];
  readonly terminationProtection: boolean;
  /** The allow-all group after the case: deleted or never created (`absent`), or `left` (attached to nothing). */
  readonly allowAllGroup: 'absent' | 'left';
  readonly errorType?: string;
}

interface FaultCase {
  readonly call: Position;
  readonly fault: FaultKind;
  readonly expect: Expected;
}

const ORIGINAL: readonly [EniEnd, EniEnd] = ['original', 'original'];
const ISOLATED: readonly [EniEnd, EniEnd] = ['isolation', 'isolation'];
const DENIED = 'UnauthorizedOperation: Injected by the fault proxy';

/** A fail-closed step failing before any ENI moved: nothing undone, escalated, the ENIs where they were. */
const notMoved = (step: string, terminationProtection: boolean, extra: readonly string[] = []): Expected => ({
  enis: ORIGINAL,
  status: 'ESCALATED',
  reasonContains: [`step ${step} failed`, `kept (fail closed): ${step}`, ...extra],
  terminationProtection,
  allowAllGroup: 'absent',
});

/** The network step failing for some ENIs: escalated, each ENI where the reason says. */
const network = (
  enis: readonly [EniExpect, EniExpect],
  says: readonly string[],
  allowAllGroup: 'absent' | 'left' = 'absent',
): Expected => ({
  enis,
  status: 'ESCALATED',
  reasonContains: ['step isolate-network-interfaces failed', ...says],
  terminationProtection: true,
  allowAllGroup,
});

/** A best-effort step failing after containment: both ENIs isolated, verified, escalated as incomplete. */
const incomplete = (step: string): Expected => ({
  enis: ISOLATED,
  status: 'ESCALATED',
  reasonContains: [
    'isolated: termination protection on',
    `not done (best effort, after containment): ${step}`,
  ],
  terminationProtection: true,
  allowAllGroup: 'absent',
  errorType: 'IncompleteSteps',
});

/** The allow-all group unusable for good: the ENIs isolated directly, verified, escalated as incomplete. */
const direct = (
  enis: readonly [EniExpect, EniExpect],
  allowAllGroup: 'absent' | 'left' = 'absent',
): Expected => ({
  enis,
  status: 'ESCALATED',
  reasonContains: ['isolated: termination protection on', 'isolated without the allow-all group'],
  terminationProtection: true,
  allowAllGroup,
  errorType: 'IncompleteSteps',
});

const denied = (call: Position, expect: Expected): FaultCase => ({ call, fault: 'deny', expect });
const throttled = (call: Position, expect: Expected): FaultCase => ({ call, fault: 'throttle', expect });

/**
 * The fault table: for every call position, the end state with the call denied for good (a permanent error: the step
 * fails at once) and throttled on every request (retried until the containment deadline, DEADLINE_MS).
 *
 * A throttled step ends when the deadline passes. When it passes between two attempts, Temporal fails the step with
 * its last attempt's failure, which says where each ENI is; when it passes during an attempt (the usual case: an
 * attempt of the network step lasts longer than the gaps between attempts), the outcome only says
 * `activity ScheduleToClose timeout`. So the throttled rows ask the reason only for the step that failed, except the
 * two where an ENI is inside the move's critical section when the deadline passes: there the outcome goes out while
 * that ENI is still in the allow-all group, and the rows ask for what the outcome should say (see the report).
 */
const CASES: readonly FaultCase[] = [
  denied(
    'ec2:ModifyInstanceAttribute termination',
    notMoved('enable-termination-protection', false, [DENIED]),
  ),
  throttled('ec2:ModifyInstanceAttribute termination', notMoved('enable-termination-protection', false)),
  denied('ec2:CreateSecurityGroup isolation', notMoved('isolate-network-interfaces', true, [DENIED])),
  throttled('ec2:CreateSecurityGroup isolation', notMoved('isolate-network-interfaces', true)),
  // The isolation group is created, its default egress rule cannot be revoked: not used, nothing moved.
  denied('ec2:RevokeSecurityGroupEgress isolation', notMoved('isolate-network-interfaces', true, [DENIED])),
  throttled('ec2:RevokeSecurityGroupEgress isolation', notMoved('isolate-network-interfaces', true)),
  // The allow-all group refused for good: each ENI is isolated directly (new connections stop; connections tracked
  // before may go on), verified, and escalated saying so.
  denied('ec2:CreateSecurityGroup allow-all', direct(ISOLATED)),
  // Throttled: the ENIs stay in their own groups and the step is retried (untracking is worth waiting for) until the
  // deadline.
  throttled('ec2:CreateSecurityGroup allow-all', network(ORIGINAL, [])),
  // The allow-all group was created but never completed (its id unknown to the failed call): it stays, unattached.
  denied('ec2:AuthorizeSecurityGroupIngress allow-all', direct(ISOLATED, 'left')),
  throttled('ec2:AuthorizeSecurityGroupIngress allow-all', network(ORIGINAL, [], 'left')),
  denied('ec2:AuthorizeSecurityGroupEgress allow-all', direct(ISOLATED, 'left')),
  throttled('ec2:AuthorizeSecurityGroupEgress allow-all', network(ORIGINAL, [], 'left')),
  // ENI1 refused the allow-all group for good: isolated directly; ENI2 through allow-all as usual.
  denied('ec2:ModifyNetworkInterfaceAttribute ENI1 → allow-all', direct(ISOLATED)),
  throttled('ec2:ModifyNetworkInterfaceAttribute ENI1 → allow-all', network(['original', 'isolation'], [])),
  denied(
    'ec2:ModifyNetworkInterfaceAttribute ENI1 → isolation',
    network(
      ['original', 'isolation'],
      ['1 of 2 network interface(s) not isolated', 'back in its original groups'],
    ),
  ),
  // ENI1 goes through allow-all, the isolation group is throttled: within the attempt's time (half of what is left
  // for the isolation group, the rest for the fallback) it goes back to its own groups; ENI2 moves only if enough of
  // the attempt is left. The outcome is written after the attempt ends, and says where ENI1 is.
  throttled(
    'ec2:ModifyNetworkInterfaceAttribute ENI1 → isolation',
    network(['original', ['original', 'isolation']], ['not isolated']),
  ),
  denied('ec2:ModifyNetworkInterfaceAttribute ENI2 → allow-all', direct(ISOLATED)),
  throttled('ec2:ModifyNetworkInterfaceAttribute ENI2 → allow-all', network(['isolation', 'original'], [])),
  denied(
    'ec2:ModifyNetworkInterfaceAttribute ENI2 → isolation',
    network(
      ['isolation', 'original'],
      ['1 of 2 network interface(s) not isolated', 'back in its original groups'],
    ),
  ),
  throttled(
    'ec2:ModifyNetworkInterfaceAttribute ENI2 → isolation',
    network(['isolation', 'original'], ['not isolated']),
  ),
  // Deleting the allow-all group never fails the step: isolated and verified, the (unattached) group stays and the
  // outcome escalates so someone deletes it.
  ...(['deny', 'throttle'] as const).map((fault): FaultCase => ({
    call: 'ec2:DeleteSecurityGroup allow-all',
    fault,
    expect: {
      enis: ISOLATED,
      status: 'ESCALATED',
      reasonContains: [
        'isolated: termination protection on, every ENI in its rule-free isolation group',
        'not deleted',
      ],
      terminationProtection: true,
      allowAllGroup: 'left',
      errorType: 'IncompleteSteps',
    },
  })),
  denied('autoscaling:DetachInstances', incomplete('detach-from-auto-scaling-group')),
  throttled('autoscaling:DetachInstances', incomplete('detach-from-auto-scaling-group')),
  denied('elasticloadbalancing:DeregisterTargets', incomplete('deregister-from-target-groups')),
  throttled('elasticloadbalancing:DeregisterTargets', incomplete('deregister-from-target-groups')),
  denied('ec2:CreateTags instance', incomplete('tag-for-forensics')),
  throttled('ec2:CreateTags instance', incomplete('tag-for-forensics')),
  denied('ec2:CreateSnapshot', incomplete('snapshot-volumes')),
  throttled('ec2:CreateSnapshot', incomplete('snapshot-volumes')),
];

// ---------------------------------------------------------------------------------------------------------------
// Scenes: a VPC, an instance with two ENIs, its Auto Scaling group and target group
// ---------------------------------------------------------------------------------------------------------------

interface Scene {
  readonly vpcId: string;
  readonly instanceId: string;
  readonly enis: readonly [string, string];
  readonly originals: ReadonlyMap<string, readonly string[]>;
  readonly targetGroupArn?: string;
  readonly finding: Finding;
}

/** What the EC2 client's label says of a request: the scene's VPC (when it is about one) and the call position. */
interface Label {
  readonly vpc?: string;
  readonly position: string;
}

const eniNames = new Map<string, { vpc: string; name: 'ENI1' | 'ENI2' }>();
const instanceVpcs = new Map<string, string>();
const volumeVpcs = new Map<string, string>();
const groupNames = new Map<string, string>();
let nextScene = 1;

function purposeOf(groupName: string | undefined): { purpose: string; vpc?: string } {
  for (const [purpose, prefix] of [
    ['isolation', isolationGroupName('')],
    ['allow-all', allowAllGroupName('')],
  ] as const) {
    if (groupName?.startsWith(prefix)) return { purpose, vpc: groupName.slice(prefix.length) };
  }
  return { purpose: 'original' };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const first = (v: unknown): string | undefined => (Array.isArray(v) ? str(v[0]) : undefined);

/** Names an EC2 request of the playbook by what it does (the labeller of `labelCalls`). */
function labelOf(action: string, input: Record<string, unknown>): Label {
  switch (action) {
    case 'ModifyInstanceAttribute': {
      const what = input.DisableApiTermination
        ? 'termination'
        : input.InstanceInitiatedShutdownBehavior
          ? 'shutdown'
          : 'other';
      return { vpc: instanceVpcs.get(str(input.InstanceId) ?? ''), position: `${action} ${what}` };
    }
    case 'CreateSecurityGroup': {
      const { purpose } = purposeOf(str(input.GroupName));
      return { vpc: str(input.VpcId), position: `${action} ${purpose}` };
    }
    case 'AuthorizeSecurityGroupIngress':
    case 'AuthorizeSecurityGroupEgress':
    case 'RevokeSecurityGroupIngress':
    case 'RevokeSecurityGroupEgress':
    case 'DeleteSecurityGroup': {
      const { purpose, vpc } = purposeOf(groupNames.get(str(input.GroupId) ?? ''));
      return { ...(vpc ? { vpc } : {}), position: `${action} ${purpose}` };
    }
    case 'ModifyNetworkInterfaceAttribute': {
      const eni = eniNames.get(str(input.NetworkInterfaceId) ?? '');
      const groups = (Array.isArray(input.Groups) ? input.Groups : []).map((g) => groupNames.get(String(g)));
      const into = groups.length === 1 ? purposeOf(groups[0]).purpose : 'original';
      return { ...(eni ? { vpc: eni.vpc } : {}), position: `${action} ${eni?.name ?? '?'} → ${into}` };
    }
    case 'CreateTags':
      return { vpc: instanceVpcs.get(first(input.Resources) ?? ''), position: `${action} instance` };
    case 'CreateSnapshot':
      return { vpc: volumeVpcs.get(str(input.VolumeId) ?? ''), position: action };
    default: {
      const instance = str(input.InstanceId) ?? first(input.InstanceIds) ?? '';
      const filters = Array.isArray(input.Filters)
        ? (input.Filters as { Name?: string; Values?: string[] }[])
        : [];
      const vpc = instanceVpcs.get(instance) ?? filters.find((f) => f.Name === 'vpc-id')?.Values?.[0];
      return { ...(vpc ? { vpc } : {}), position: action };
    }
  }
}

/** Learns group names from the answers, so later calls on a group id can be named. */
function learn(action: string, input: Record<string, unknown>, output: Record<string, unknown>): void {
  if (action === 'CreateSecurityGroup' && str(output.GroupId) && str(input.GroupName))
    groupNames.set(String(output.GroupId), String(input.GroupName));
  if (action === 'DescribeSecurityGroups' && Array.isArray(output.SecurityGroups)) {
    for (const g of output.SecurityGroups as { GroupId?: string; GroupName?: string }[])
      if (g.GroupId && g.GroupName) groupNames.set(g.GroupId, g.GroupName);
  }
}

let stack: WorkflowStack;
let moto: { ec2: EC2Client; autoscaling: AutoScalingClient; elb: ElasticLoadBalancingV2Client };
let launchConfiguration: string;

async function instanceOf(instanceId: string): Promise<Instance> {
  const out = await moto.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const instance = out.Reservations?.[0]?.Instances?.[0];
  if (!instance) throw new Error(`${instanceId} not found`);
  return instance;
}

/** A new VPC and subnet, an instance with two ENIs in it; with `fleet`, in an Auto Scaling group and target group. */
async function newScene(fleet: boolean): Promise<Scene> {
  const n = nextScene++;
  const { ec2, autoscaling, elb } = moto;
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: `10.${n}.0.0/16` }))).Vpc?.VpcId ?? '';
  const subnetId =
    (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.${n}.1.0/24` }))).Subnet
      ?.SubnetId ?? '';
  // No SecurityGroupIds (moto would append instead of replace on such ENIs), shutdown `stop` (moto ignores changes).
  const instanceId = await launchInstance(ec2, {
    SubnetId: subnetId,
    InstanceInitiatedShutdownBehavior: 'stop',
  });
  const second = await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId }));
  await ec2.send(
    new AttachNetworkInterfaceCommand({
      NetworkInterfaceId: second.NetworkInterface?.NetworkInterfaceId,
      InstanceId: instanceId,
      DeviceIndex: 1,
    }),
  );
  const instance = await instanceOf(instanceId);
  const enis = (instance.NetworkInterfaces ?? []).map((e) => e.NetworkInterfaceId ?? '');
  if (enis.length !== 2) throw new Error(`expected 2 ENIs on ${instanceId}, found ${enis.length}`);
  const originals = new Map(
    (instance.NetworkInterfaces ?? []).map((e) => [
      e.NetworkInterfaceId ?? '',
      (e.Groups ?? []).map((g) => g.GroupId ?? '').sort(),
    ]),
  );
  enis.forEach((id, i) => eniNames.set(id, { vpc: vpcId, name: i === 0 ? 'ENI1' : 'ENI2' }));
  instanceVpcs.set(instanceId, vpcId);
  for (const b of instance.BlockDeviceMappings ?? [])
    if (b.Ebs?.VolumeId) volumeVpcs.set(b.Ebs.VolumeId, vpcId);
  let targetGroupArn: string | undefined;
  if (fleet) {
    const group = `iso-asg-${n}`;
    await autoscaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: group,
        LaunchConfigurationName: launchConfiguration,
        MinSize: 0,
        MaxSize: 2,
        DesiredCapacity: 0,
        VPCZoneIdentifier: subnetId,
      }),
    );
    await autoscaling.send(
      new AttachInstancesCommand({ AutoScalingGroupName: group, InstanceIds: [instanceId] }),
    );
    const tg = await elb.send(
      new CreateTargetGroupCommand({
        Name: `iso-tg-${n}`,
        Protocol: 'HTTP',
        Port: 80,
        VpcId: vpcId,
        TargetType: 'instance',
      }),
    );
    targetGroupArn = tg.TargetGroups?.[0]?.TargetGroupArn ?? '';
    await elb.send(
      new RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: [{ Id: instanceId, Port: 80 }] }),
    );
    await autoscaling.send(
      new AttachLoadBalancerTargetGroupsCommand({
        AutoScalingGroupName: group,
        TargetGroupARNs: [targetGroupArn],
      }),
    );
  }
  return {
    vpcId,
    instanceId,
    enis: [enis[0] ?? '', enis[1] ?? ''],
    originals,
    ...(targetGroupArn ? { targetGroupArn } : {}),
    finding: guardDutyFinding('AWS::EC2::Instance', instanceId),
  };
}

interface EndState {
  readonly enis: readonly [EniEnd, EniEnd];
  readonly allowAllGroup: 'absent' | 'left';
  readonly terminationProtection: boolean;
}

/** Where the scene's ENIs are, whether its allow-all group exists, whether termination protection is on (from moto). */
async function endState(scene: Scene): Promise<EndState> {
  const instance = await instanceOf(scene.instanceId);
  const where = (eniId: string): EniEnd => {
    const eni = instance.NetworkInterfaces?.find((e) => e.NetworkInterfaceId === eniId);
    const groups = eni?.Groups ?? [];
    if (groups.some((g) => g.GroupName === allowAllGroupName(scene.vpcId))) return 'allow-all';
    if (groups.length === 1 && groups[0]?.GroupName === isolationGroupName(scene.vpcId)) return 'isolation';
    const ids = groups.map((g) => g.GroupId ?? '').sort();
    if (JSON.stringify(ids) === JSON.stringify(scene.originals.get(eniId))) return 'original';
    return `other: ${groups.map((g) => g.GroupName).join(',')}`;
  };
  const allowAll = await moto.ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'group-name', Values: [allowAllGroupName(scene.vpcId)] },
        { Name: 'vpc-id', Values: [scene.vpcId] },
      ],
    }),
  );
  const protection = await moto.ec2.send(
    new DescribeInstanceAttributeCommand({
      InstanceId: scene.instanceId,
      Attribute: 'disableApiTermination',
    }),
  );
  return {
    enis: [where(scene.enis[0]), where(scene.enis[1])],
    allowAllGroup: (allowAll.SecurityGroups ?? []).length > 0 ? 'left' : 'absent',
    terminationProtection: protection.DisableApiTermination?.Value === true,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The table of results
// ---------------------------------------------------------------------------------------------------------------

interface Row {
  readonly case: string;
  readonly fault: string;
  /** Part 2: where things were once the worker was dead and the request it died on had landed. */
  readonly atKill?: EndState;
  /** Where the ENIs were when the workflow returned its outcome. */
  readonly atOutcome?: EndState;
  /** Where they are once every activity attempt of the case has returned (a timed-out attempt can run on). */
  readonly end?: EndState;
  readonly status?: string;
  readonly errorType?: string;
  readonly reason?: string;
  readonly faultedRequests?: number;
  readonly ms?: number;
  readonly settledMsAfterOutcome?: number;
  readonly error?: string;
  readonly timings?: Record<string, number>;
  /** The scene's AWS requests, ms from the start of the case (in the JSON file only). */
  readonly calls?: readonly string[];
  /** What Temporal recorded of a timed-out step: its timeout and the failure of its last attempt. */
  readonly timedOut?: readonly string[];
}
const rows: Row[] = [];

/** A reason with its ids replaced by names (ENI1, ENI2) or elided, for the table. */
function shortReason(reason: string): string {
  return reason
    .replace(/eni-[0-9a-f]+/g, (id) => eniNames.get(id)?.name ?? 'eni-…')
    .replace(/\b(i|sg)-[0-9a-f]+/g, '$1-…')
    .replace(/: Injected by the fault proxy: \w+/g, '')
    .replace(/\|/g, '/');
}

/** Prints the table (markdown, for the issue) and writes it and every detail to /tmp. */
function printTable(): void {
  if (rows.length === 0) return;
  const enis = (s?: EndState) => (s ? s.enis.join(' / ') : '-');
  const lines = [
    '| case | fault | ENI1 / ENI2 at the end | at the outcome | allow-all group | termination protection | outcome | reason | ms |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${[
          r.case,
          r.fault,
          enis(r.end),
          r.atKill ? `${enis(r.atOutcome)} (at the kill: ${enis(r.atKill)})` : enis(r.atOutcome),
          r.end?.allowAllGroup ?? '-',
          r.end ? (r.end.terminationProtection ? 'on' : 'off') : '-',
          `${r.status ?? 'ERROR'}${r.errorType ? ` (${r.errorType})` : ''}`,
          shortReason(r.reason ?? r.error ?? ''),
          r.timings
            ? Object.entries(r.timings)
                .map(([k, v]) => `${k} ${v}`)
                .join(', ')
            : String(r.ms ?? '-'),
        ].join(' | ')} |`,
    ),
  ];
  const text = lines.join('\n');
  console.log(`isolation fault cases (${rows.length}):\n${text}`);
  writeFileSync('/tmp/isolation-faults.md', `${text}\n`);
  writeFileSync('/tmp/isolation-faults.json', JSON.stringify(rows, null, 2));
}

// ---------------------------------------------------------------------------------------------------------------
// Suite set-up
// ---------------------------------------------------------------------------------------------------------------

let proxy: AwsFaultProxy;
let labels: CallLabels<Label>;

beforeAll(async () => {
  stack = await startWorkflowStack();
  const common = { endpoint: stack.moto.endpoint, region: FIXTURE_REGION, credentials: TEST_CREDENTIALS };
  moto = {
    ec2: motoEc2(stack.moto.endpoint),
    autoscaling: new AutoScalingClient(common),
    elb: new ElasticLoadBalancingV2Client(common),
  };
  const images = await moto.ec2.send(new DescribeImagesCommand({}));
  launchConfiguration = 'iso-lc';
  await moto.autoscaling.send(
    new CreateLaunchConfigurationCommand({
      LaunchConfigurationName: launchConfiguration,
      ImageId: images.Images?.[0]?.ImageId,
      InstanceType: 't3.micro',
    }),
  );
}, 60_000);

afterAll(async () => {
  printTable();
  moto?.ec2.destroy();
  moto?.autoscaling.destroy();
  moto?.elb.destroy();
  await stack?.stop();
});

const lastOutcome = (result: RemediationResult): Outcome | undefined => result.outcomes.at(-1);
const workflowOf = (scene: Scene) =>
  stack.env.client.workflow.getHandle<() => Promise<RemediationResult>>(
    remediationWorkflowId(scene.finding.resource),
  );

/** The fault rule of a call position, for one scene only. */
function ruleFor(position: Position, scene: Scene, fault: FaultKind): FaultRule {
  const [service, rest = ''] = position.split(':') as [string, string];
  if (service === 'ec2') {
    return {
      service,
      action: rest.split(' ')[0] ?? '',
      target: labels.matching((l) => l?.vpc === scene.vpcId && `ec2:${l.position}` === position),
      fault: { kind: fault },
    };
  }
  const target = service === 'autoscaling' ? scene.instanceId : (scene.targetGroupArn ?? '');
  return { service, action: rest, target, fault: { kind: fault } };
}

/** Which position of `scene` a recorded call is (`service:action` for calls outside the scene). */
function positionOf(call: AwsCall, scene: Scene): { position: string; ofScene: boolean } {
  if (call.service === 'ec2') {
    const label = labels.of(call);
    return { position: `ec2:${label?.position ?? call.action}`, ofScene: label?.vpc === scene.vpcId };
  }
  const ofScene = call.target === scene.instanceId || call.target === scene.targetGroupArn;
  return { position: `${call.service}:${call.action}`, ofScene };
}

/** The scene's requests since `from`, each as `+ms position outcome`. */
function sceneCalls(scene: Scene, from: number): string[] {
  return proxy.calls
    .filter((call) => call.receivedAt >= from && positionOf(call, scene).ofScene)
    .map(
      (call) =>
        `+${call.receivedAt - from} ${positionOf(call, scene).position} ${call.outcome}${call.fault ? ` ${call.fault}` : ''}`,
    );
}

/** What Temporal recorded of the workflow's timed-out activities: the timeout and its cause (the last failure). */
async function timeoutsOf(scene: Scene): Promise<string[]> {
  const history = await workflowOf(scene).fetchHistory();
  return (history.events ?? [])
    .map((e) => e.activityTaskTimedOutEventAttributes?.failure)
    .filter((f) => !!f)
    .map((f) => `${f?.message} <- ${f?.cause?.message ?? '(no cause: the attempt was running)'}`);
}

async function pool<T>(items: readonly T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, lane));
}

const caseName = (c: FaultCase) => `${c.call} ${c.fault === 'deny' ? 'denied' : 'throttled'}`;
const faultName = (c: FaultCase) => (c.fault === 'deny' ? 'denied for good' : 'throttled, every request');

/** True when the rules give every protocol from and to both 0.0.0.0/0 and ::/0. */
function everything(rules: readonly IpPermission[] | undefined): boolean {
  const all = (rules ?? []).filter((r) => r.IpProtocol === '-1');
  return (
    all.some((r) => r.IpRanges?.some((x) => x.CidrIp === '0.0.0.0/0')) &&
    all.some((r) => r.Ipv6Ranges?.some((x) => x.CidrIpv6 === '::/0'))
  );
}

// ---------------------------------------------------------------------------------------------------------------
// 1. Every AWS call of the isolation, permanently failing and throttled past its attempts
// ---------------------------------------------------------------------------------------------------------------

describe('every mutating call of the isolation, denied for good and throttled for good', () => {
  const TASK_QUEUE = 'isolation-faults';
  /** applyStep attempts running per instance: a timed-out attempt goes on after its workflow was told. */
  const applying = new Map<string, number>();
  const results = new Map<string, Row>();
  let clients: AwsClients;
  let worker: Worker;
  let running: Promise<void>;
  let clean: { positions: string[]; allowAll?: { ingress: boolean; egress: boolean }; row: Row };

  /** Runs the scene's finding on the in-process worker. */
  async function remediate(scene: Scene): Promise<RemediationResult> {
    await dispatcherWith(stack.env.client, TASK_QUEUE, FAULT_SETTINGS).start({
      finding: scene.finding,
      playbook: PLAYBOOK,
    });
    return workflowOf(scene).result();
  }

  /** Waits until no applyStep attempt of the instance runs any more. */
  async function settled(instanceId: string, timeoutMs = 40_000): Promise<void> {
    const started = Date.now();
    while ((applying.get(instanceId) ?? 0) > 0) {
      if (Date.now() - started > timeoutMs)
        throw new Error(`an applyStep attempt on ${instanceId} never returned`);
      await sleep(50);
    }
  }

  async function runCase(c: FaultCase): Promise<void> {
    const started = Date.now();
    let rule: ActiveRule | undefined;
    try {
      const scene = await newScene(true);
      const from = Date.now();
      rule = proxy.addRule(ruleFor(c.call, scene, c.fault));
      const result = await remediate(scene);
      const outcomeAt = Date.now();
      const atOutcome = await endState(scene);
      await settled(scene.instanceId);
      const end = await endState(scene);
      const outcome = lastOutcome(result);
      results.set(caseName(c), {
        case: c.call,
        fault: faultName(c),
        atOutcome,
        end,
        status: result.status,
        ...(outcome?.escalation?.errorType ? { errorType: outcome.escalation.errorType } : {}),
        reason: outcome?.reason ?? '',
        faultedRequests: rule.applied,
        ms: outcomeAt - from,
        settledMsAfterOutcome: Date.now() - outcomeAt,
        timedOut: await timeoutsOf(scene),
        calls: sceneCalls(scene, from),
      });
    } catch (err) {
      results.set(caseName(c), {
        case: c.call,
        fault: faultName(c),
        error: String(err),
        ms: Date.now() - started,
      });
    } finally {
      rule?.remove();
    }
  }

  beforeAll(async () => {
    proxy = await startAwsFaultProxy(stack.moto.endpoint);
    standInForMissingApis(proxy);
    labels = labelCalls<Label>(proxy, labelOf, learn);
    // The production client factory (SDK maxAttempts 2) on the proxy; the EC2 client the playbook asks it for (the
    // kit's `io.client(EC2Client)`) labels every request.
    clients = new AwsClients({ endpoint: proxy.endpoint, credentials: TEST_CREDENTIALS });
    labels.label(clients.client(EC2Client, FIXTURE_ACCOUNT, FIXTURE_REGION));
    const activities = stack.activities(clients);
    const applyStep = activities.applyStep;
    worker = await stack.worker(TASK_QUEUE, {
      ...activities,
      applyStep: async (...args: Parameters<typeof applyStep>) => {
        const id = args[0].finding.resource.resourceId;
        applying.set(id, (applying.get(id) ?? 0) + 1);
        try {
          return await applyStep(...args);
        } finally {
          applying.set(id, (applying.get(id) ?? 1) - 1);
        }
      },
    });
    running = worker.run();

    // The clean run, alone: every call it makes, in order, and the allow-all group's rules while it is used (read
    // just before it is deleted; no labelled fault rule is active, so this rule's hook may wait).
    const scene = await newScene(true);
    const from = Date.now();
    const peek = proxy.addRule({
      service: 'ec2',
      action: 'DeleteSecurityGroup',
      before: async () => {
        const out = await moto.ec2.send(
          new DescribeSecurityGroupsCommand({
            Filters: [
              { Name: 'group-name', Values: [allowAllGroupName(scene.vpcId)] },
              { Name: 'vpc-id', Values: [scene.vpcId] },
            ],
          }),
        );
        const group = out.SecurityGroups?.[0];
        if (group) {
          clean.allowAll = {
            ingress: everything(group.IpPermissions),
            egress: everything(group.IpPermissionsEgress),
          };
        }
        return { allowAll: group };
      },
    });
    clean = { positions: [], row: { case: 'clean run', fault: 'none' } };
    const result = await remediate(scene);
    await settled(scene.instanceId);
    peek.remove();
    const calls = proxy.calls.filter((c) => c.receivedAt >= from);
    clean.positions = calls
      .filter((c) => c.mutating && positionOf(c, scene).ofScene)
      .map((c) => positionOf(c, scene).position);
    const end = await endState(scene);
    clean.row = {
      case: 'clean run',
      fault: 'none',
      end,
      atOutcome: end,
      status: result.status,
      reason: lastOutcome(result)?.reason ?? '',
      ms: Date.now() - from,
      calls: sceneCalls(scene, from),
    };
    rows.push(clean.row);
    console.log(
      `a clean isolation of a two-ENI instance in an Auto Scaling group, through the whole workflow: ` +
        `${calls.length} AWS requests\n  ${calls.map((c) => positionOf(c, scene).position).join('\n  ')}`,
    );

    // Every fault case, PARALLEL at a time, each on its own scene.
    await pool(CASES, PARALLEL, runCase);
    for (const c of CASES) {
      const row = results.get(caseName(c));
      if (row) rows.push(row);
    }
  }, 150_000);

  afterAll(async () => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
    await proxy?.close();
    clients?.destroy();
  });

  it('a clean isolation makes each call position of the table, and ends isolated, verified, allow-all deleted', () => {
    expect(clean.row).toMatchObject({
      status: 'REMEDIATED',
      end: { enis: ISOLATED, allowAllGroup: 'absent', terminationProtection: true },
    });
    // Every distinct mutating call position, in the order of their first call; each has its two cases.
    expect([...new Set(clean.positions)]).toEqual([...POSITIONS]);
    expect(new Set(CASES.map((c) => c.call))).toEqual(new Set(POSITIONS));
  });

  it('the allow-all group lets everything in and out, IPv4 and IPv6, while the ENIs go through it', () => {
    // Its tracked connections become untracked only if the group allows all traffic both ways, for each family.
    expect(clean.allowAll).toEqual({ ingress: true, egress: true });
  });

  it.each(CASES.map((c) => [caseName(c), c] as const))('%s', (name, c) => {
    const row = results.get(name);
    expect(row?.error).toBeUndefined();
    // The fault did hit the call.
    expect(row?.faultedRequests).toBeGreaterThan(0);
    c.expect.enis.forEach((expected, i) => {
      expect(typeof expected === 'string' ? [expected] : expected).toContain(row?.end?.enis[i]);
    });
    expect(row?.end?.enis).not.toContain('allow-all');
    // The outcome is given once the ENIs are where they end: never while one is still in the allow-all group.
    expect(row?.atOutcome?.enis).not.toContain('allow-all');
    expect(row?.atOutcome?.enis).toEqual(row?.end?.enis);
    expect(row?.status).toBe(c.expect.status);
    for (const text of c.expect.reasonContains) expect(row?.reason).toContain(text);
    expect(row?.end?.terminationProtection).toBe(c.expect.terminationProtection);
    expect(row?.end?.allowAllGroup).toBe(c.expect.allowAllGroup);
    if (c.expect.errorType) expect(row?.errorType).toBe(c.expect.errorType);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// 2. The worker killed between two calls
// ---------------------------------------------------------------------------------------------------------------

interface KillCase {
  readonly name: string;
  /** The request on which the worker is killed (SIGKILL as it reaches the proxy; then let through to moto). */
  readonly on: (scene: Scene, isolated: () => boolean) => FaultRule;
  /** Where things are once the worker is dead and that request has landed. */
  readonly atKill: Pick<EndState, 'enis' | 'allowAllGroup'>;
  /** ModifyNetworkInterfaceAttribute requests on ENI1 and ENI2 after the kill (what the new worker still moves). */
  readonly movesAfter: readonly [number, number];
}

/**
 * The kill points. The worker is killed by a `before` hook as the request reaches the proxy; the proxy then forwards
 * the request, so the change lands in moto with its sender already dead (the worst moment: done, never reported).
 * Each case has its own worker process, task queue and proxy (so `skip`/`times` count that case's requests only),
 * and the four run at once. The new worker is started as soon as the old one is dead; the step it died in is given to
 * it when the heartbeat timeout (5 s) passes. (After that, the execution's next workflow task waits once for the dead
 * worker's sticky queue to time out, 10 s, the SDK's default: the rest of the remediation comes ~15 s after the kill.)
 */
const KILLS: readonly KillCase[] = [
  {
    name: 'killed as ENI1 enters the allow-all group (the 1st ModifyNetworkInterfaceAttribute)',
    on: (scene) => ({
      service: 'ec2',
      action: 'ModifyNetworkInterfaceAttribute',
      target: scene.enis[0],
      times: 1,
    }),
    atKill: { enis: ['allow-all', 'original'], allowAllGroup: 'left' },
    // ENI1, found in the allow-all group, goes straight on to the isolation group.
    movesAfter: [1, 2],
  },
  {
    name: 'killed as ENI1 enters the isolation group, before ENI2 moves',
    on: (scene) => ({
      service: 'ec2',
      action: 'ModifyNetworkInterfaceAttribute',
      target: scene.enis[0],
      skip: 1,
      times: 1,
    }),
    atKill: { enis: ['isolation', 'original'], allowAllGroup: 'left' },
    movesAfter: [0, 2],
  },
  {
    name: 'killed as the allow-all group is created (the 2nd CreateSecurityGroup)',
    on: () => ({ service: 'ec2', action: 'CreateSecurityGroup', skip: 1, times: 1 }),
    atKill: { enis: ORIGINAL, allowAllGroup: 'left' },
    movesAfter: [2, 2],
  },
  {
    name: 'killed after the isolation step returned, at the first request of the next step',
    on: (scene, isolated) => ({
      service: 'autoscaling',
      action: 'DescribeAutoScalingInstances',
      target: (t) => isolated() && t === scene.instanceId,
      times: 1,
    }),
    atKill: { enis: ISOLATED, allowAllGroup: 'absent' },
    movesAfter: [0, 0],
  },
];

describe('the worker killed (SIGKILL) between two calls of the isolation', () => {
  const results = new Map<
    string,
    { row: Row; exits: string[]; verified?: boolean; movesAfter?: readonly [number, number] }
  >();

  async function runKill(k: KillCase, n: number, bundlePath: string, policyPath: string): Promise<void> {
    const own = await startAwsFaultProxy(stack.moto.endpoint);
    standInForMissingApis(own);
    const taskQueue = `isolation-kill-${n}`;
    const worker = new Remediator(
      'worker',
      {
        TEMPORAL_ADDRESS: stack.env.address,
        TEMPORAL_NAMESPACE: stack.env.namespace ?? 'default',
        TEMPORAL_TASK_QUEUE: taskQueue,
        AWS_REGION: FIXTURE_REGION,
        AWS_ENDPOINT_URL: own.endpoint,
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        NOTIFY_TOPIC_ARN: stack.resources.notifyTopicArn,
        ONCALL_TOPIC_ARN: stack.resources.oncallTopicArn,
        AUDIT_BUCKET: stack.resources.auditBucket,
        WORKFLOW_BUNDLE_PATH: bundlePath,
        REMEDIATION_POLICY: policyPath,
      },
      '"Worker started"',
    );
    try {
      const scene = await newScene(true);
      let isolated = false;
      own.addRule({
        service: 'ec2',
        action: 'DeleteSecurityGroup',
        before: () => {
          isolated = true;
          return undefined;
        },
      });
      let killedAt = 0;
      let killed: AwsCall | undefined;
      own.addRule({
        ...k.on(scene, () => isolated),
        before: async (call) => {
          killed = call;
          killedAt = Date.now();
          await worker.kill9();
          return { killed: true };
        },
      });
      await worker.start();
      // The spawned worker takes its settings from its policy file (KILL_OVERRIDES).
      await new FindingDispatcher(stack.env.client, taskQueue, 'test').start({
        finding: scene.finding,
        playbook: PLAYBOOK,
      });
      const waitUntil = Date.now() + 30_000;
      while (killed?.finishedAt === undefined) {
        if (Date.now() > waitUntil) throw new Error('the kill point never came');
        await sleep(20);
      }
      const atKill = await endState(scene);
      // Watches for both ENIs in the isolation group from the kill on, while the new worker starts.
      const result = resultOf(
        stack.env.client,
        remediationWorkflowId(scene.finding.resource),
        killedAt + 60_000,
      );
      let done = false;
      const finished = () => {
        done = true;
      };
      result.then(finished, finished);
      let isolatedAt: number | undefined;
      const watching = (async () => {
        for (let now = atKill; !done; now = await endState(scene)) {
          if (now.enis.every((e) => e === 'isolation')) {
            isolatedAt = Date.now();
            return;
          }
          await sleep(100);
        }
      })();
      const restartMs = await worker.start();
      const final = await result;
      const doneAt = Date.now();
      await watching;
      const end = await endState(scene);
      const outcome = lastOutcome(final);
      const moves = (eni: string) =>
        own
          .find({ action: 'ModifyNetworkInterfaceAttribute', target: eni })
          .filter((c) => c.seq > (killed?.seq ?? 0) && c.outcome === 'forwarded').length;
      results.set(k.name, {
        exits: worker.unexpectedExits,
        movesAfter: [moves(scene.enis[0]), moves(scene.enis[1])],
        verified: outcome?.verification?.passed === true,
        row: {
          case: k.name,
          fault: 'SIGKILL, then a new worker',
          atKill,
          atOutcome: end,
          end,
          status: final.status,
          reason: outcome?.reason ?? '',
          ms: doneAt - killedAt,
          timings: {
            restartMs,
            killToIsolatedMs: Math.max(0, (isolatedAt ?? Number.NaN) - killedAt),
            killToOutcomeMs: doneAt - killedAt,
          },
          calls: own.calls
            .filter((c) => c.receivedAt >= killedAt - 200 && c.mutating)
            .map(
              (c) => `+${c.receivedAt - killedAt} ${c.service}:${c.action} ${c.target ?? ''} ${c.outcome}`,
            ),
        },
      });
    } catch (err) {
      results.set(k.name, {
        row: { case: k.name, fault: 'SIGKILL, then a new worker', error: String(err) },
        exits: worker.unexpectedExits,
      });
    } finally {
      await worker.stop();
      await own.close();
    }
  }

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isolation-kill-'));
    const bundlePath = join(dir, 'workflow-bundle.js');
    writeFileSync(bundlePath, stack.bundle.code);
    const policyPath = policyFile(KILL_OVERRIDES, 300);
    await Promise.all(KILLS.map((k, i) => runKill(k, i, bundlePath, policyPath)));
    for (const k of KILLS) {
      const r = results.get(k.name);
      if (r) rows.push(r.row);
    }
  }, 120_000);

  it.each(KILLS.map((k) => [k.name, k] as const))('%s: isolated, verified, REMEDIATED', (name, k) => {
    const r = results.get(name);
    expect(r?.row.error).toBeUndefined();
    // The kill came where it should.
    expect(r?.row.atKill).toMatchObject(k.atKill);
    expect(r?.movesAfter).toEqual(k.movesAfter);
    expect(r?.exits).toEqual([]);
    expect(r?.row.status).toBe('REMEDIATED');
    expect(r?.verified).toBe(true);
    expect(r?.row.end).toEqual({ enis: ISOLATED, allowAllGroup: 'absent', terminationProtection: true });
  });
});
