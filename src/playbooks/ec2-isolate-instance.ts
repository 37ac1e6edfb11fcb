/**
 * Playbook `ec2-isolate-instance`: contain an instance GuardDuty caught acting maliciously (the `<Family>:EC2/*`
 * families below, the instance as actor; as target it is ticketed, not isolated), network first (docs/playbooks.md,
 * ec2-isolate-instance): termination protection, then every ENI through the allow-all group into the isolation group
 * in one step that never leaves an ENI in allow-all (./ec2-isolate-instance/isolation-move.ts); then, best effort, out
 * of its Auto Scaling group and target groups, shutdown behaviour `stop`, forensic tags and EBS snapshots. A failure
 * there is recorded and escalated, never a reason to leave the instance on the network. Memory is evidence, so the
 * instance is stopped only when the policy says (`stopAfterIsolation`, or `stopOnCryptoCurrency` for a
 * `CryptoCurrency:*` finding), through the availability role (`borrows`): no other member role may stop one.
 *
 * The state keeps the fields recorded before the kit (termination protection, shutdown behaviour, each ENI's groups,
 * the volumes, the Auto Scaling group, the target group registrations), and beside them, only when there is something
 * to say (so a restored instance reads as its prior, recorded before the kit or after): the isolation groups its ENIs
 * are in with their rules, the ENIs an earlier attempt left in the allow-all group, the forensic tags; and, under
 * `State` (never compared), the instance's run state. The kit reads it before every step, so the read stays lean: the
 * target group registrations, the one costly lookup (load balancers page by page), are read only while the instance
 * is not isolated; once every ENI is in its isolation group nothing can reach it through them, and they read as none
 * (the deregister step works from the recorded prior, as before).
 */
import {
  AttachInstancesCommand,
  AutoScalingClient,
  DescribeAutoScalingInstancesCommand,
  DetachInstancesCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateSnapshotCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstanceAttributeCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  StartInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { Instance } from '@aws-sdk/client-ec2';
import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { awsErrorName, isPermanent } from '../activities/aws-errors';
import { describeInstance, isGone } from '../activities/playbooks/ec2-instances';
import { DEFAULT_PROTECTED_TAG } from '../domain/policy';
import { definePlaybook } from '../kit/playbook-kit';
import type { KitChange, KitIo } from '../kit/playbook-kit';
import { instanceTargetGroups, isRegistered } from './ec2-isolate-instance/instance-target-groups';
import {
  allowAllGroupName,
  describeRule,
  ensureIsolationGroup,
  ensureIsolationGroups,
  findIsolationGroups,
  isolationGroupName,
  TAG_PURPOSE,
} from './ec2-isolate-instance/isolation-groups';
import { isolateInterfaces } from './ec2-isolate-instance/isolation-move';
import type { EniEnd, EniGroups } from './ec2-isolate-instance/isolation-move';
import { INSTANCE_RESOURCE } from './shared/resource-ids';

export type { EniGroups } from './ec2-isolate-instance/isolation-move';
export { allowAllGroupName, isolationGroupName } from './ec2-isolate-instance/isolation-groups';

/** GuardDuty finding families in which an instance acting is isolated (Recon is only ticketed). */
const ISOLATION_FAMILIES = [
  'Backdoor',
  'Behavior',
  'CryptoCurrency',
  'Trojan',
  'UnauthorizedAccess',
  'Impact',
];

/** Tag keys the playbook writes on the instance. */
export const TAG_FINDING = 'remediator:guardduty-finding';
export const TAG_ORIGINAL_GROUPS = 'remediator:original-groups';
/** Tag key of a forensic snapshot naming its instance (with `TAG_FINDING`). */
export const TAG_SNAPSHOT_INSTANCE = 'remediator:instance';

/** One ENI and its groups, as recorded before the kit. */
const eni = z.object({ networkInterfaceId: z.string(), vpcId: z.string(), groups: z.array(z.string()) });

const state = z.object({
  // The prior state recorded before the kit: a rollback restores these.
  disableApiTermination: z.boolean(),
  shutdownBehavior: z.string(),
  enis: z.array(eni),
  volumes: z.array(z.string()),
  autoScalingGroup: z.string().nullable(),
  /** Its registrations; none while it is isolated (not looked up: nothing reaches it through them). */
  targetGroups: z.array(z.object({ targetGroupArn: z.string(), port: z.number().nullable() })),
  /** By VPC, the isolation group an ENI is in and its rules in words (none unless someone added some). */
  isolationGroups: z
    .record(z.string(), z.object({ groupId: z.string(), rules: z.array(z.string()) }))
    .optional(),
  /** ENIs in the allow-all group (an attempt died between the two moves): their connections are untracked. */
  allowAll: z.array(z.string()).optional(),
  /** The forensic tags on the instance, when it has either. */
  forensicTags: z
    .object({ finding: z.string().optional(), originalGroups: z.string().optional() })
    .optional(),
  /** The run state (`running`, `stopped`): the instance's own transitions, never compared. */
  State: z.object({ instance: z.string() }).optional(),
});

/** The playbook's state; a prior recorded before the kit has the first six fields only. */
export type IsolationPrior = z.infer<typeof state>;
type Eni = IsolationPrior['enis'][number];

const send = (io: KitIo) => ({ abortSignal: io.abortSignal });

function enisOf(instance: Instance): Eni[] {
  return (instance.NetworkInterfaces ?? []).map((e) => ({
    networkInterfaceId: e.NetworkInterfaceId ?? '',
    vpcId: e.VpcId ?? instance.VpcId ?? '',
    groups: (e.Groups ?? []).map((g) => g.GroupId ?? '').filter(Boolean),
  }));
}

/** The VPCs where an ENI is in a group named as that VPC's isolation group (only this playbook names one so). */
function isolationVpcs(instance: Instance): string[] {
  return (instance.NetworkInterfaces ?? []).flatMap((e) => {
    const vpcId = e.VpcId ?? instance.VpcId ?? '';
    return e.Groups?.some((g) => g.GroupName === isolationGroupName(vpcId)) ? [vpcId] : [];
  });
}

/** ENIs an earlier attempt left in the allow-all group (by its name, which only this playbook gives a group). */
function inAllowAll(instance: Instance): string[] {
  return (instance.NetworkInterfaces ?? []).flatMap((e) => {
    const vpcId = e.VpcId ?? instance.VpcId ?? '';
    return e.Groups?.some((g) => g.GroupName === allowAllGroupName(vpcId))
      ? [e.NetworkInterfaceId ?? '']
      : [];
  });
}

/** True when the ENI is in its VPC's isolation group and no other. */
const eniIsolated = (s: IsolationPrior, e: Eni) =>
  e.groups.length === 1 && e.groups[0] === s.isolationGroups?.[e.vpcId]?.groupId;
/** True when every ENI (there is one at least) is in its rule-free isolation group alone. */
const networkContained = (s: IsolationPrior) =>
  s.enis.length > 0 &&
  s.enis.every((e) => eniIsolated(s, e)) &&
  Object.values(s.isolationGroups ?? {}).every((g) => g.rules.length === 0) &&
  !s.allowAll?.length;
const isolated = (s: IsolationPrior) => networkContained(s) && s.disableApiTermination;

const isTarget = (io: KitIo) => io.finding.details.resourceRole === 'TARGET';
/** The policy asks for a stop: always, or for CryptoCurrency findings. */
function stopWhy(io: KitIo): string | undefined {
  if (io.options.stopAfterIsolation === true) return 'policy: stopAfterIsolation';
  if (io.finding.control.startsWith('CryptoCurrency:') && io.options.stopOnCryptoCurrency === true)
    return 'policy: stopOnCryptoCurrency';
  return undefined;
}
const stoppedOrStopping = (s: IsolationPrior) => ['stopped', 'stopping'].includes(s.State?.instance ?? '');

const findingIdOf = (io: KitIo) => io.finding.details.guardDutyFindingId ?? io.finding.eventId;
function originalGroupsTag(enis: readonly EniGroups[]): string {
  const value = enis.map((e) => `${e.networkInterfaceId}=${e.groups.join(',')}`).join(';');
  return value.length <= 256 ? value : `${value.slice(0, 253)}...`;
}
/** The forensic tags the step writes: the finding, and each ENI's original groups (from the recorded prior). */
const forensicTags = (io: KitIo, prior: IsolationPrior) => ({
  finding: findingIdOf(io),
  originalGroups: originalGroupsTag(prior.enis),
});
const tagged = (s: IsolationPrior, io: KitIo, prior: IsolationPrior) => {
  const wanted = forensicTags(io, prior);
  return (
    s.forensicTags?.finding === wanted.finding && s.forensicTags.originalGroups === wanted.originalGroups
  );
};

/** The instance's registrations among `wanted` (one target group asked once). */
async function registered(
  io: KitIo,
  wanted: IsolationPrior['targetGroups'],
): Promise<IsolationPrior['targetGroups']> {
  const elb = io.client(ElasticLoadBalancingV2Client);
  const found: IsolationPrior['targetGroups'] = [];
  for (const arn of new Set(wanted.map((tg) => tg.targetGroupArn))) {
    const health = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }), send(io));
    const ports = (health.TargetHealthDescriptions ?? [])
      .filter((d) => isRegistered(d, io.resource.resourceId))
      .map((d) => d.Target?.Port ?? null);
    found.push(...wanted.filter((tg) => tg.targetGroupArn === arn && ports.includes(tg.port)));
  }
  return found;
}
const targetsOf = (io: KitIo, tg: IsolationPrior['targetGroups'][number]) => ({
  TargetGroupArn: tg.targetGroupArn,
  Targets: [{ Id: io.resource.resourceId, ...(tg.port !== null ? { Port: tg.port } : {}) }],
});

/**
 * The failure of the network step, saying where each ENI ended. Retryable unless every ENI not isolated is back in
 * its own groups for a reason a retry cannot change: an ENI left in allow-all must be retried at once.
 */
function isolationFailure(
  ends: readonly EniEnd[],
  failed: readonly EniEnd[],
  note: string,
): ApplicationFailure {
  const first = failed[0]?.error;
  const permanent = failed.every((e) => e.end === 'original' && isPermanent(e.error));
  const summary = ends.map((e) => e.detail).join('; ');
  const cause = first instanceof Error ? first : undefined;
  return ApplicationFailure.create({
    message: `isolate-network-interfaces: ${failed.length} of ${ends.length} network interface(s) not isolated: ${summary}${note}`,
    type: first === undefined ? 'IsolationIncomplete' : awsErrorName(first),
    nonRetryable: permanent,
    ...(cause ? { cause } : {}),
  });
}

/** The network step: every ENI into its VPC's (checked, rule-free) isolation group. */
async function isolateNetwork(io: KitIo, current: IsolationPrior, prior: IsolationPrior): Promise<KitChange> {
  const ec2 = io.client(EC2Client);
  const enis = current.enis;
  if (enis.length === 0) return { changed: false, detail: 'the instance has no network interface' };
  const isolation = await ensureIsolationGroups(
    ec2,
    enis.map((e) => e.vpcId),
    send(io),
  );
  const repaired = [...isolation.values()]
    .filter((group) => group.removed.length > 0)
    .map((group) => `${group.groupId}: revoked ${group.removed.join(', ')}`);
  const originals = new Map(prior.enis.map((e) => [e.networkInterfaceId, e.groups]));
  const untracking = new Set(current.allowAll ?? []);
  const { ends, leftBehind } = await isolateInterfaces(
    {
      ec2,
      ...(io.abortSignal ? { abortSignal: io.abortSignal } : {}),
      ...(io.deadline !== undefined ? { deadline: io.deadline } : {}),
    },
    enis,
    (vpcId) => isolation.get(vpcId)?.groupId ?? '',
    (e) => originals.get(e.networkInterfaceId) ?? e.groups,
    (e) => untracking.has(e.networkInterfaceId),
  );
  const repairNote =
    repaired.length > 0 ? `; tampered isolation group repaired (${repaired.join('; ')})` : '';
  const failed = ends.filter((e) => e.end !== 'isolation');
  if (failed.length > 0) {
    const left = leftBehind.length > 0 ? `; allow-all group(s) ${leftBehind.join(', ')} not deleted` : '';
    throw isolationFailure(ends, failed, `${repairNote}${left}`);
  }
  const moved = ends.filter((e) => e.changed).length;
  const unfinished = [
    ...ends.flatMap((e) => (e.unfinished ? [e.unfinished] : [])),
    ...(leftBehind.length > 0
      ? [`allow-all group(s) ${leftBehind.join(', ')} not deleted (attached to nothing now): delete by hand`]
      : []),
  ];
  return {
    changed: moved > 0 || repaired.length > 0,
    detail: `${moved} of ${ends.length} network interface(s) moved into the isolation group${repairNote}`,
    ...(unfinished.length > 0 ? { unfinished: unfinished.join('; ') } : {}),
  };
}

/** Sets one instance attribute (termination protection or shutdown behaviour: the only two the role may set). */
async function setAttribute(
  io: KitIo,
  attribute:
    { DisableApiTermination: { Value: boolean } } | { InstanceInitiatedShutdownBehavior: { Value: string } },
): Promise<void> {
  await io
    .client(EC2Client)
    .send(new ModifyInstanceAttributeCommand({ InstanceId: io.resource.resourceId, ...attribute }), send(io));
}

export const ec2IsolateInstance = definePlaybook({
  id: 'ec2-isolate-instance',
  title: 'Isolate a compromised instance',
  kind: 'containment',
  defaultMode: 'auto',
  roleFamily: 'network-containment',
  resource: INSTANCE_RESOURCE,
  defaultSeverity: 8,
  triggers: { guardDutyTypes: ISOLATION_FAMILIES.map((family) => `${family}:EC2/*`) },
  // ec2:ModifyInstanceAttribute is not here: infra/lib/worker-permissions.ts grants it in two statements, each only
  // for requests that set its one attribute (termination protection, shutdown behaviour), which the kit's single
  // statement per playbook cannot say.
  iamActions: [
    'ec2:DescribeInstances',
    'ec2:DescribeInstanceAttribute',
    'ec2:DescribeSecurityGroups',
    'ec2:DescribeSnapshots',
    'ec2:CreateSecurityGroup',
    'ec2:DeleteSecurityGroup',
    'ec2:AuthorizeSecurityGroupIngress',
    'ec2:AuthorizeSecurityGroupEgress',
    'ec2:RevokeSecurityGroupIngress',
    'ec2:RevokeSecurityGroupEgress',
    'ec2:ModifyNetworkInterfaceAttribute',
    'ec2:CreateSnapshot',
    'autoscaling:DescribeAutoScalingInstances',
    'autoscaling:DescribeAutoScalingGroups',
    'autoscaling:DetachInstances',
    'autoscaling:AttachInstances',
    'elasticloadbalancing:DescribeLoadBalancers',
    'elasticloadbalancing:DescribeTargetGroups',
    'elasticloadbalancing:DescribeTargetHealth',
    'elasticloadbalancing:DeregisterTargets',
    'elasticloadbalancing:RegisterTargets',
  ],
  // The instance's forensic tags, and the tags the groups and snapshots it creates are created with.
  tags: [
    // The forensic tags, the snapshots' and the groups' it creates (tagged as it creates them)...
    {
      actions: ['ec2:CreateTags'],
      keys: [TAG_FINDING, TAG_ORIGINAL_GROUPS, TAG_SNAPSHOT_INSTANCE, TAG_PURPOSE, DEFAULT_PROTECTED_TAG],
    },
    // ...and of those, only the instance's forensic tags are removed again (rollback).
    { actions: ['ec2:DeleteTags'], keys: [TAG_FINDING, TAG_ORIGINAL_GROUPS] },
  ],
  // The optional stop (and the start of its rollback): only the availability role may.
  borrows: { family: 'availability', actions: ['ec2:StopInstances', 'ec2:StartInstances'] },
  state,

  async read(io) {
    const ec2 = io.client(EC2Client);
    const id = io.resource.resourceId;
    const instance = await describeInstance(ec2, id, io);
    if (!instance || isGone(instance)) return undefined;
    const attribute = (Attribute: 'disableApiTermination' | 'instanceInitiatedShutdownBehavior') =>
      ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute }), send(io));
    const [termination, shutdown, membership] = await Promise.all([
      attribute('disableApiTermination'),
      attribute('instanceInitiatedShutdownBehavior'),
      io
        .client(AutoScalingClient)
        .send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [id] }), send(io)),
    ]);
    const enis = enisOf(instance);
    const groups = await findIsolationGroups(ec2, isolationVpcs(instance), send(io));
    const isolationGroups = Object.fromEntries(
      [...groups].map(([vpcId, g]) => [
        vpcId,
        {
          groupId: g.GroupId ?? '',
          rules: [
            ...(g.IpPermissions ?? []).map((r) => `ingress ${describeRule(r)}`),
            ...(g.IpPermissionsEgress ?? []).map((r) => `egress ${describeRule(r)}`),
          ],
        },
      ]),
    );
    const autoScalingGroup = membership.AutoScalingInstances?.[0]?.AutoScalingGroupName ?? null;
    const allowAll = inAllowAll(instance);
    const tagOf = (key: string) => instance.Tags?.find((t) => t.Key === key)?.Value;
    const [finding, originalGroups] = [tagOf(TAG_FINDING), tagOf(TAG_ORIGINAL_GROUPS)];
    const s: IsolationPrior = {
      disableApiTermination: termination.DisableApiTermination?.Value ?? false,
      shutdownBehavior: shutdown.InstanceInitiatedShutdownBehavior?.Value ?? 'stop',
      enis,
      volumes: (instance.BlockDeviceMappings ?? []).map((b) => b.Ebs?.VolumeId ?? '').filter(Boolean),
      autoScalingGroup,
      targetGroups: [],
      ...(groups.size > 0 ? { isolationGroups } : {}),
      ...(allowAll.length > 0 ? { allowAll } : {}),
      ...(finding !== undefined || originalGroups !== undefined
        ? {
            forensicTags: {
              ...(finding !== undefined ? { finding } : {}),
              ...(originalGroups !== undefined ? { originalGroups } : {}),
            },
          }
        : {}),
      State: { instance: instance.State?.Name ?? 'unknown' },
    };
    // Its registrations are looked up (page by page, load balancer by load balancer) only where they are recorded or
    // judged: not before a step (the deregistration works from the recorded prior state, and the network step must
    // not wait on it), nor once it is isolated (nothing reaches it through a load balancer then).
    const enisIsolated = enis.length > 0 && enis.every((e) => eniIsolated(s, e));
    if (enisIsolated || io.phase === 'apply' || io.phase === 'undo') return s;
    const targetGroups = await instanceTargetGroups({
      elb: io.client(ElasticLoadBalancingV2Client),
      autoscaling: io.client(AutoScalingClient),
      instanceId: id,
      vpcIds: [...new Set(enis.map((e) => e.vpcId))],
      autoScalingGroup,
      ...(io.abortSignal ? { abortSignal: io.abortSignal } : {}),
    });
    return { ...s, targetGroups };
  },

  describe(s) {
    if (isolated(s)) return 'isolated: termination protection on, every ENI in its rule-free isolation group';
    const tampered = Object.values(s.isolationGroups ?? {}).filter((g) => g.rules.length > 0);
    return [
      `not isolated: ${s.enis.filter((e) => eniIsolated(s, e)).length} of ${s.enis.length} ENI(s) in the isolation group`,
      `termination protection ${s.disableApiTermination ? 'on' : 'off'}`,
      ...(s.allowAll?.length ? [`${s.allowAll.join(', ')} in the allow-all group`] : []),
      ...tampered.map((g) => `isolation group ${g.groupId} has rules: ${g.rules.join(', ')}`),
      ...(s.autoScalingGroup ? [`in Auto Scaling group ${s.autoScalingGroup}`] : []),
      ...(s.targetGroups.length > 0 ? [`registered in ${s.targetGroups.length} target group(s)`] : []),
    ].join(', ');
  },
  // A repeat of the finding (GuardDuty re-sends it) after an earlier run: nothing left to contain. A target is
  // ticketed whatever its state.
  compliant: (s, io) => !isTarget(io) && isolated(s),
  cannotFix: (_s, io) =>
    isTarget(io)
      ? `instance ${io.resource.resourceId} was the target of ${io.finding.control}, not the actor: ticketed for investigation, not isolated`
      : undefined,
  stillWrong(s) {
    const problems: string[] = [];
    if (!s.disableApiTermination) problems.push('termination protection off');
    for (const e of s.enis) {
      if (s.allowAll?.includes(e.networkInterfaceId)) {
        problems.push(`${e.networkInterfaceId} is in the allow-all group`);
      } else if (!eniIsolated(s, e)) problems.push(`${e.networkInterfaceId} has ${e.groups.join(',')}`);
    }
    for (const g of Object.values(s.isolationGroups ?? {}))
      if (g.rules.length > 0) problems.push(`isolation group ${g.groupId} has rules: ${g.rules.join(', ')}`);
    return problems.length > 0 ? [...new Set(problems)].join('; ') : undefined;
  },
  // Someone gave the isolation group rules: revoked, and the verification fails all the same (the instance was
  // reachable for a while, which a person must know).
  async repairOnVerify(io, s) {
    const repaired: string[] = [];
    for (const [vpcId, g] of Object.entries(s.isolationGroups ?? {})) {
      if (g.rules.length === 0) continue;
      const group = await ensureIsolationGroup(io.client(EC2Client), vpcId, send(io));
      if (group.removed.length > 0)
        repaired.push(`isolation group ${group.groupId} had rules (revoked): ${group.removed.join(', ')}`);
    }
    return repaired;
  },

  steps: [
    {
      id: 'enable-termination-protection',
      title: 'Termination protection on',
      onFailure: 'fail-closed',
      plan: (s, { resource }) =>
        s.disableApiTermination
          ? undefined
          : `ModifyInstanceAttribute ${resource.resourceId} DisableApiTermination=true`,
      async apply(io) {
        await setAttribute(io, { DisableApiTermination: { Value: true } });
        return { changed: true, detail: 'DisableApiTermination=true' };
      },
      async undo(io, prior, current) {
        if (current.disableApiTermination === prior.disableApiTermination)
          return { changed: false, detail: `DisableApiTermination already ${prior.disableApiTermination}` };
        await setAttribute(io, { DisableApiTermination: { Value: prior.disableApiTermination } });
        return { changed: true, detail: `DisableApiTermination=${prior.disableApiTermination}` };
      },
    },
    {
      id: 'isolate-network-interfaces',
      title:
        'Per ENI: the allow-all group (tracked connections become untracked), then at once the isolation group; never left in allow-all',
      onFailure: 'fail-closed',
      plan: (s) =>
        s.enis.length === 0 || networkContained(s)
          ? undefined
          : `${s.enis.length} ENI(s) → ${allowAllGroupName('<vpc>')} → ${isolationGroupName('<vpc>')} (untrack, then no ingress and no egress)`,
      apply: (io, current, prior) => isolateNetwork(io, current, prior),
      async undo(io, prior, current) {
        const now = new Map(current.enis.map((e) => [e.networkInterfaceId, e.groups.join(',')]));
        let changed = 0;
        for (const e of prior.enis) {
          if (now.get(e.networkInterfaceId) === e.groups.join(',')) continue;
          await io.client(EC2Client).send(
            new ModifyNetworkInterfaceAttributeCommand({
              NetworkInterfaceId: e.networkInterfaceId,
              Groups: [...e.groups],
            }),
            send(io),
          );
          changed += 1;
        }
        return {
          changed: changed > 0,
          detail: `${changed} network interface(s) back to their original groups`,
        };
      },
    },
    {
      id: 'detach-from-auto-scaling-group',
      title: 'Detach from its Auto Scaling group',
      onFailure: 'best-effort',
      plan: (s) =>
        s.autoScalingGroup ? `DetachInstances from ${s.autoScalingGroup}, capacity kept` : undefined,
      async apply(io, current) {
        const group = current.autoScalingGroup ?? '';
        await io.client(AutoScalingClient).send(
          new DetachInstancesCommand({
            AutoScalingGroupName: group,
            InstanceIds: [io.resource.resourceId],
            ShouldDecrementDesiredCapacity: false,
          }),
          send(io),
        );
        return { changed: true, detail: `detached from ${group} (capacity kept: a replacement launches)` };
      },
      async undo(io, prior, current) {
        if (!prior.autoScalingGroup || current.autoScalingGroup)
          return { changed: false, detail: 'nothing to re-attach' };
        await io.client(AutoScalingClient).send(
          new AttachInstancesCommand({
            AutoScalingGroupName: prior.autoScalingGroup,
            InstanceIds: [io.resource.resourceId],
          }),
          send(io),
        );
        return { changed: true, detail: `re-attached to ${prior.autoScalingGroup}` };
      },
    },
    {
      id: 'deregister-from-target-groups',
      title: 'Deregister from the target groups of its group and load balancers',
      onFailure: 'best-effort',
      plan: (s) =>
        s.targetGroups.length > 0
          ? `DeregisterTargets from ${s.targetGroups.length} target group registration(s) of its Auto Scaling group and load balancers`
          : undefined,
      // The registrations recorded before isolation (the read no longer looks them up once it is isolated): the
      // apply asks those target groups which still hold it.
      needed: (_current, prior) => prior.targetGroups.length > 0,
      async apply(io, _current, prior) {
        const left = await registered(io, prior.targetGroups);
        const elb = io.client(ElasticLoadBalancingV2Client);
        for (const tg of left) await elb.send(new DeregisterTargetsCommand(targetsOf(io, tg)), send(io));
        return left.length > 0
          ? { changed: true, detail: `deregistered from ${left.length} target group(s)` }
          : { changed: false, detail: 'in none of its recorded target groups any more' };
      },
      async undo(io, prior) {
        const present = await registered(io, prior.targetGroups);
        const missing = prior.targetGroups.filter((tg) => !present.includes(tg));
        const elb = io.client(ElasticLoadBalancingV2Client);
        for (const tg of missing) await elb.send(new RegisterTargetsCommand(targetsOf(io, tg)), send(io));
        return { changed: missing.length > 0, detail: `re-registered in ${missing.length} target group(s)` };
      },
    },
    {
      id: 'set-shutdown-behaviour-stop',
      title: 'Shutdown behaviour stop',
      onFailure: 'best-effort',
      plan: (s, { resource }) =>
        s.shutdownBehavior === 'stop'
          ? undefined
          : `ModifyInstanceAttribute ${resource.resourceId} InstanceInitiatedShutdownBehavior=stop`,
      async apply(io, current) {
        await setAttribute(io, { InstanceInitiatedShutdownBehavior: { Value: 'stop' } });
        return {
          changed: true,
          detail: `InstanceInitiatedShutdownBehavior ${current.shutdownBehavior} → stop`,
        };
      },
      async undo(io, prior, current) {
        if (current.shutdownBehavior === prior.shutdownBehavior)
          return {
            changed: false,
            detail: `InstanceInitiatedShutdownBehavior already ${prior.shutdownBehavior}`,
          };
        await setAttribute(io, { InstanceInitiatedShutdownBehavior: { Value: prior.shutdownBehavior } });
        return { changed: true, detail: `InstanceInitiatedShutdownBehavior=${prior.shutdownBehavior}` };
      },
    },
    {
      id: 'tag-for-forensics',
      title: 'Tag the finding and the original groups per ENI',
      onFailure: 'best-effort',
      plan: (s, io) =>
        tagged(s, io, s)
          ? undefined
          : `CreateTags ${io.resource.resourceId}: ${TAG_FINDING}, ${TAG_ORIGINAL_GROUPS}`,
      // The original groups are the recorded prior's (the fresh read has the isolation group by now).
      needed: (current, prior, io) => !tagged(current, io, prior),
      async apply(io, _current, prior) {
        const wanted = forensicTags(io, prior);
        await io.client(EC2Client).send(
          new CreateTagsCommand({
            Resources: [io.resource.resourceId],
            Tags: [
              { Key: TAG_FINDING, Value: wanted.finding },
              { Key: TAG_ORIGINAL_GROUPS, Value: wanted.originalGroups },
            ],
          }),
          send(io),
        );
        return { changed: true, detail: `tagged ${TAG_FINDING}, ${TAG_ORIGINAL_GROUPS}` };
      },
      async undo(io, prior, current) {
        // Back to the tags it had (none, unless an earlier isolation left them).
        const before = prior.forensicTags ?? {};
        const now = current.forensicTags ?? {};
        const keys = [
          [TAG_FINDING, before.finding, now.finding],
          [TAG_ORIGINAL_GROUPS, before.originalGroups, now.originalGroups],
        ] as const;
        const remove = keys.filter(([, was, is]) => was === undefined && is !== undefined);
        const restore = keys.filter(([, was, is]) => was !== undefined && was !== is);
        const Resources = [io.resource.resourceId];
        if (remove.length > 0) {
          await io
            .client(EC2Client)
            .send(new DeleteTagsCommand({ Resources, Tags: remove.map(([Key]) => ({ Key })) }), send(io));
        }
        if (restore.length > 0) {
          await io
            .client(EC2Client)
            .send(
              new CreateTagsCommand({ Resources, Tags: restore.map(([Key, Value]) => ({ Key, Value })) }),
              send(io),
            );
        }
        if (remove.length + restore.length === 0)
          return { changed: false, detail: 'no forensic tags to remove' };
        return {
          changed: true,
          detail:
            restore.length > 0 ? 'the forensic tags put back as they were' : 'removed the forensic tags',
        };
      },
    },
    {
      id: 'snapshot-volumes',
      title: 'EBS snapshots for forensics',
      onFailure: 'best-effort',
      plan: (s) => (s.volumes.length > 0 ? `CreateSnapshot of ${s.volumes.length} EBS volume(s)` : undefined),
      // The recorded volumes, each snapshotted once per finding (the apply asks which are).
      needed: (_current, prior) => prior.volumes.length > 0,
      async apply(io, _current, prior) {
        const ec2 = io.client(EC2Client);
        const id = io.resource.resourceId;
        const findingId = findingIdOf(io);
        const created: string[] = [];
        for (const volumeId of prior.volumes) {
          const existing = await ec2.send(
            new DescribeSnapshotsCommand({
              OwnerIds: ['self'],
              Filters: [
                { Name: 'volume-id', Values: [volumeId] },
                { Name: `tag:${TAG_FINDING}`, Values: [findingId] },
              ],
            }),
            send(io),
          );
          if ((existing.Snapshots ?? []).length > 0) continue;
          const snap = await ec2.send(
            new CreateSnapshotCommand({
              VolumeId: volumeId,
              Description: `Forensic snapshot of ${volumeId} (${id}) for GuardDuty finding ${findingId}`,
              TagSpecifications: [
                {
                  ResourceType: 'snapshot',
                  Tags: [
                    { Key: TAG_FINDING, Value: findingId },
                    { Key: TAG_SNAPSHOT_INSTANCE, Value: id },
                  ],
                },
              ],
            }),
            send(io),
          );
          created.push(snap.SnapshotId ?? volumeId);
        }
        return created.length > 0
          ? { changed: true, detail: `snapshots ${created.join(', ')}` }
          : { changed: false, detail: 'snapshots already taken' };
      },
      // Evidence: a rollback keeps them.
      undo: () => Promise.resolve({ changed: false, detail: 'snapshots kept as evidence' }),
    },
    {
      id: 'stop-instance',
      title: 'StopInstances, by policy only (stopOnCryptoCurrency, stopAfterIsolation): memory is evidence',
      onFailure: 'best-effort',
      // Stopping loses memory, the best evidence: only when the policy asks for it.
      plan: (s, io) => {
        const why = stopWhy(io);
        return why && !stoppedOrStopping(s) ? `StopInstances ${io.resource.resourceId} (${why})` : undefined;
      },
      async apply(io) {
        await io
          .borrowedClient(EC2Client)
          .send(new StopInstancesCommand({ InstanceIds: [io.resource.resourceId] }), send(io));
        return { changed: true, detail: 'StopInstances' };
      },
      async undo(io, _prior, current) {
        const now = current.State?.instance;
        if (now === 'running' || now === 'pending') return { changed: false, detail: `already ${now}` };
        await io
          .borrowedClient(EC2Client)
          .send(new StartInstancesCommand({ InstanceIds: [io.resource.resourceId] }), send(io));
        return { changed: true, detail: 'StartInstances' };
      },
    },
  ],
});
