/**
 * Playbook `ec2-isolate-instance`: contain an instance GuardDuty caught acting maliciously
 * (`UnauthorizedAccess:EC2/*`, `CryptoCurrency:EC2/*`, resourceRole ACTOR), network first
 * (docs/playbooks.md, ec2-isolate-instance): termination protection, then every ENI through the allow-all group into
 * the isolation group in one step that never leaves an ENI in allow-all (./isolation-move.ts); then, best effort,
 * out of its Auto Scaling group and target groups, shutdown behaviour `stop`, forensic tags and EBS snapshots. A
 * failure there is recorded and escalated, never a reason to leave the instance on the network. Memory is evidence,
 * so the instance is stopped only when the policy says.
 */
import { ApplicationFailure } from '@temporalio/activity';
import {
  AttachInstancesCommand,
  DescribeAutoScalingInstancesCommand,
  DetachInstancesCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateSnapshotCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstanceAttributeCommand,
  DescribeSnapshotsCommand,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  StartInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { EC2Client, Instance } from '@aws-sdk/client-ec2';
import { DeregisterTargetsCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AwsClients } from '../../aws/clients';
import type { Finding } from '../../domain/finding';
import type { Analysis, PlannedStep, PriorState, StepResult, Verification } from '../../domain/remediation';
import { awsErrorName, classified, isPermanent } from '../aws-errors';
import type { CallContext, PlaybookHandler } from './playbook-handler';
import { describeInstance, requireInstance, isGone } from './ec2-instances';
import { instanceTargetGroups } from './instance-target-groups';
import type { TargetRegistration } from './instance-target-groups';
import {
  allowAllGroupName,
  ensureIsolationGroups,
  findVpcGroup,
  isolationGroupName,
} from './isolation-groups';
import { isolateInterfaces } from './isolation-move';
import type { EniEnd, EniGroups } from './isolation-move';
import { assertKnownStep } from './steps';

export type { EniGroups } from './isolation-move';
export { allowAllGroupName, isolationGroupName } from './isolation-groups';

/** Everything isolation changes, recorded before the first step. */
export interface IsolationPrior extends Record<string, unknown> {
  readonly disableApiTermination: boolean;
  readonly shutdownBehavior: string;
  readonly enis: readonly EniGroups[];
  readonly volumes: readonly string[];
  readonly autoScalingGroup: string | null;
  readonly targetGroups: readonly TargetRegistration[];
}

/** Tag keys the playbook writes. */
export const TAG_FINDING = 'remediator:guardduty-finding';
export const TAG_ORIGINAL_GROUPS = 'remediator:original-groups';

const STEPS = [
  'enable-termination-protection',
  'isolate-network-interfaces',
  'detach-from-auto-scaling-group',
  'deregister-from-target-groups',
  'set-shutdown-behaviour-stop',
  'tag-for-forensics',
  'snapshot-volumes',
  'stop-instance',
] as const;
type Step = (typeof STEPS)[number];

/**
 * Builds the playbook: `clients` assume the network-containment role, `availability` the role that may stop and
 * start instances (the optional stop after isolation, and its rollback).
 */
export function ec2IsolateInstance(clients: AwsClients, availability: AwsClients = clients): PlaybookHandler {
  const ec2For = (f: Finding): EC2Client => clients.ec2(f.resource.account, f.resource.region);
  const opts = (ctx: CallContext) => ({ abortSignal: ctx.abortSignal });

  function enisOf(instance: Instance): EniGroups[] {
    return (instance.NetworkInterfaces ?? []).map((eni) => ({
      networkInterfaceId: eni.NetworkInterfaceId ?? '',
      vpcId: eni.VpcId ?? instance.VpcId ?? '',
      groups: (eni.Groups ?? []).map((g) => g.GroupId ?? '').filter(Boolean),
    }));
  }

  /** ENIs an earlier attempt left in the allow-all group (by its name, which only this playbook gives a group). */
  function inAllowAll(instance: Instance): Set<string> {
    const found = new Set<string>();
    for (const eni of instance.NetworkInterfaces ?? []) {
      const vpcId = eni.VpcId ?? instance.VpcId ?? '';
      if (eni.Groups?.some((g) => g.GroupName === allowAllGroupName(vpcId)))
        found.add(eni.NetworkInterfaceId ?? '');
    }
    return found;
  }

  async function attribute(
    ec2: EC2Client,
    instanceId: string,
    name: 'disableApiTermination' | 'instanceInitiatedShutdownBehavior',
    ctx: CallContext,
  ) {
    return ec2.send(
      new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: name }),
      opts(ctx),
    );
  }

  async function autoScalingGroupOf(f: Finding, ctx: CallContext): Promise<string | null> {
    const out = await clients
      .autoscaling(f.resource.account, f.resource.region)
      .send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [f.resource.resourceId] }), opts(ctx));
    return out.AutoScalingInstances?.[0]?.AutoScalingGroupName ?? null;
  }

  async function targetGroupsOf(
    f: Finding,
    instance: Instance,
    autoScalingGroup: string | null,
    ctx: CallContext,
  ): Promise<TargetRegistration[]> {
    return instanceTargetGroups({
      elb: clients.elbv2(f.resource.account, f.resource.region),
      autoscaling: clients.autoscaling(f.resource.account, f.resource.region),
      instanceId: f.resource.resourceId,
      vpcIds: [...new Set(enisOf(instance).map((e) => e.vpcId))],
      autoScalingGroup,
      ...(ctx.abortSignal ? { abortSignal: ctx.abortSignal } : {}),
    });
  }

  function originalGroupsTag(enis: readonly EniGroups[]): string {
    const value = enis.map((e) => `${e.networkInterfaceId}=${e.groups.join(',')}`).join(';');
    return value.length <= 256 ? value : `${value.slice(0, 253)}...`;
  }

  /** The network step: every ENI into its VPC's (checked, rule-free) isolation group, or back where it was. */
  async function isolateNetwork(f: Finding, prior: IsolationPrior, ctx: CallContext): Promise<StepResult> {
    const step = 'isolate-network-interfaces';
    const ec2 = ec2For(f);
    const instance = await requireInstance(ec2, f.resource.resourceId, ctx);
    const enis = enisOf(instance);
    if (enis.length === 0) return { step, changed: false, detail: 'the instance has no network interface' };
    const isolation = await ensureIsolationGroups(
      ec2,
      enis.map((e) => e.vpcId),
      opts(ctx),
    );
    const repaired = [...isolation.values()]
      .filter((group) => group.removed.length > 0)
      .map((group) => `${group.groupId}: revoked ${group.removed.join(', ')}`);
    const originals = new Map(prior.enis.map((e) => [e.networkInterfaceId, e.groups]));
    const untracking = inAllowAll(instance);
    const { ends, leftBehind } = await isolateInterfaces(
      {
        ec2,
        ...(ctx.abortSignal ? { abortSignal: ctx.abortSignal } : {}),
        ...(ctx.deadline !== undefined ? { deadline: ctx.deadline } : {}),
      },
      enis,
      (vpcId) => isolation.get(vpcId)?.groupId ?? '',
      (eni) => originals.get(eni.networkInterfaceId) ?? eni.groups,
      (eni) => untracking.has(eni.networkInterfaceId),
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
        ? [
            `allow-all group(s) ${leftBehind.join(', ')} not deleted (attached to nothing now): delete by hand`,
          ]
        : []),
    ];
    return {
      step,
      changed: moved > 0 || repaired.length > 0,
      detail: `${moved} of ${ends.length} network interface(s) moved into the isolation group${repairNote}`,
      ...(unfinished.length > 0 ? { unfinished: unfinished.join('; ') } : {}),
    };
  }

  async function apply(step: Step, f: Finding, prior: IsolationPrior, ctx: CallContext): Promise<StepResult> {
    const ec2 = ec2For(f);
    const id = f.resource.resourceId;
    const done = (changed: boolean, detail: string): StepResult => ({ step, changed, detail });
    switch (step) {
      case 'enable-termination-protection': {
        if ((await attribute(ec2, id, 'disableApiTermination', ctx)).DisableApiTermination?.Value)
          return done(false, 'already on');
        await ec2.send(
          new ModifyInstanceAttributeCommand({ InstanceId: id, DisableApiTermination: { Value: true } }),
          opts(ctx),
        );
        return done(true, 'DisableApiTermination=true');
      }
      case 'isolate-network-interfaces':
        return isolateNetwork(f, prior, ctx);
      case 'set-shutdown-behaviour-stop': {
        const current = (await attribute(ec2, id, 'instanceInitiatedShutdownBehavior', ctx))
          .InstanceInitiatedShutdownBehavior?.Value;
        if (current === 'stop') return done(false, 'already stop');
        await ec2.send(
          new ModifyInstanceAttributeCommand({
            InstanceId: id,
            InstanceInitiatedShutdownBehavior: { Value: 'stop' },
          }),
          opts(ctx),
        );
        return done(true, `InstanceInitiatedShutdownBehavior ${current ?? '?'} → stop`);
      }
      case 'tag-for-forensics': {
        const tags = [
          { Key: TAG_FINDING, Value: f.details.guardDutyFindingId ?? f.eventId },
          { Key: TAG_ORIGINAL_GROUPS, Value: originalGroupsTag(prior.enis) },
        ];
        const instance = await requireInstance(ec2, id, ctx);
        const present = tags.every((t) => instance.Tags?.some((x) => x.Key === t.Key && x.Value === t.Value));
        if (present) return done(false, 'tags already present');
        await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: tags }), opts(ctx));
        return done(true, `tagged ${tags.map((t) => t.Key).join(', ')}`);
      }
      case 'snapshot-volumes': {
        const findingId = f.details.guardDutyFindingId ?? f.eventId;
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
            opts(ctx),
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
                    { Key: 'remediator:instance', Value: id },
                  ],
                },
              ],
            }),
            opts(ctx),
          );
          created.push(snap.SnapshotId ?? volumeId);
        }
        return done(
          created.length > 0,
          created.length > 0 ? `snapshots ${created.join(', ')}` : 'snapshots already taken',
        );
      }
      case 'detach-from-auto-scaling-group': {
        const group = await autoScalingGroupOf(f, ctx);
        if (!group) return done(false, 'not in an Auto Scaling group');
        await clients.autoscaling(f.resource.account, f.resource.region).send(
          new DetachInstancesCommand({
            AutoScalingGroupName: group,
            InstanceIds: [id],
            ShouldDecrementDesiredCapacity: false,
          }),
          opts(ctx),
        );
        return done(true, `detached from ${group} (capacity kept: a replacement launches)`);
      }
      case 'deregister-from-target-groups': {
        // The registrations recorded before isolation (the ASG may be detached by now, so it is not asked again).
        const elb = clients.elbv2(f.resource.account, f.resource.region);
        for (const tg of prior.targetGroups) {
          await elb.send(
            new DeregisterTargetsCommand({
              TargetGroupArn: tg.targetGroupArn,
              Targets: [{ Id: id, ...(tg.port !== null ? { Port: tg.port } : {}) }],
            }),
            opts(ctx),
          );
        }
        return done(
          prior.targetGroups.length > 0,
          prior.targetGroups.length > 0
            ? `deregistered from ${prior.targetGroups.length} target group(s)`
            : 'in no target group',
        );
      }
      case 'stop-instance': {
        const state = (await requireInstance(ec2, id, ctx)).State?.Name;
        if (state === 'stopped' || state === 'stopping') return done(false, `already ${state}`);
        await availability
          .ec2(f.resource.account, f.resource.region)
          .send(new StopInstancesCommand({ InstanceIds: [id] }), opts(ctx));
        return done(true, 'StopInstances');
      }
    }
  }

  async function restore(
    step: Step,
    f: Finding,
    prior: IsolationPrior,
    ctx: CallContext,
  ): Promise<StepResult> {
    const ec2 = ec2For(f);
    const id = f.resource.resourceId;
    const done = (changed: boolean, detail: string): StepResult => ({ step, changed, detail });
    switch (step) {
      case 'enable-termination-protection':
        await ec2.send(
          new ModifyInstanceAttributeCommand({
            InstanceId: id,
            DisableApiTermination: { Value: prior.disableApiTermination },
          }),
          opts(ctx),
        );
        return done(true, `DisableApiTermination=${prior.disableApiTermination}`);
      case 'set-shutdown-behaviour-stop':
        await ec2.send(
          new ModifyInstanceAttributeCommand({
            InstanceId: id,
            InstanceInitiatedShutdownBehavior: { Value: prior.shutdownBehavior },
          }),
          opts(ctx),
        );
        return done(true, `InstanceInitiatedShutdownBehavior=${prior.shutdownBehavior}`);
      case 'tag-for-forensics':
        await ec2.send(
          new DeleteTagsCommand({
            Resources: [id],
            Tags: [{ Key: TAG_FINDING }, { Key: TAG_ORIGINAL_GROUPS }],
          }),
          opts(ctx),
        );
        return done(true, 'removed the forensic tags');
      case 'snapshot-volumes':
        return done(false, 'snapshots kept as evidence');
      case 'detach-from-auto-scaling-group': {
        if (!prior.autoScalingGroup || (await autoScalingGroupOf(f, ctx)))
          return done(false, 'nothing to re-attach');
        await clients
          .autoscaling(f.resource.account, f.resource.region)
          .send(
            new AttachInstancesCommand({ AutoScalingGroupName: prior.autoScalingGroup, InstanceIds: [id] }),
            opts(ctx),
          );
        return done(true, `re-attached to ${prior.autoScalingGroup}`);
      }
      case 'deregister-from-target-groups': {
        const elb = clients.elbv2(f.resource.account, f.resource.region);
        for (const tg of prior.targetGroups) {
          await elb.send(
            new RegisterTargetsCommand({
              TargetGroupArn: tg.targetGroupArn,
              Targets: [{ Id: id, ...(tg.port !== null ? { Port: tg.port } : {}) }],
            }),
            opts(ctx),
          );
        }
        return done(
          prior.targetGroups.length > 0,
          `re-registered in ${prior.targetGroups.length} target group(s)`,
        );
      }
      case 'stop-instance': {
        const state = (await requireInstance(ec2, id, ctx)).State?.Name;
        if (state === 'running' || state === 'pending') return done(false, `already ${state}`);
        await availability
          .ec2(f.resource.account, f.resource.region)
          .send(new StartInstancesCommand({ InstanceIds: [id] }), opts(ctx));
        return done(true, 'StartInstances');
      }
      case 'isolate-network-interfaces': {
        const instance = await requireInstance(ec2, id, ctx);
        const now = new Map(enisOf(instance).map((e) => [e.networkInterfaceId, e.groups.join(',')]));
        let changed = 0;
        for (const eni of prior.enis) {
          if (now.get(eni.networkInterfaceId) === eni.groups.join(',')) continue;
          await ec2.send(
            new ModifyNetworkInterfaceAttributeCommand({
              NetworkInterfaceId: eni.networkInterfaceId,
              Groups: [...eni.groups],
            }),
            opts(ctx),
          );
          changed += 1;
        }
        return done(changed > 0, `${changed} network interface(s) back to their original groups`);
      }
    }
  }

  /** True when every ENI is in its VPC's isolation group, that group has no rule, and termination protection is on. */
  async function alreadyIsolated(
    ec2: EC2Client,
    id: string,
    enis: readonly EniGroups[],
    ctx: CallContext,
  ): Promise<boolean> {
    if (enis.length === 0) return false;
    for (const eni of enis) {
      const isolation = await findVpcGroup(ec2, isolationGroupName(eni.vpcId), eni.vpcId, opts(ctx));
      if (!isolation || eni.groups.length !== 1 || eni.groups[0] !== isolation.GroupId) return false;
      if ((isolation.IpPermissions ?? []).length + (isolation.IpPermissionsEgress ?? []).length > 0)
        return false;
    }
    return (await attribute(ec2, id, 'disableApiTermination', ctx)).DisableApiTermination?.Value === true;
  }

  function shouldStop(f: Finding, ctx: CallContext): boolean {
    if (ctx.options?.stopAfterIsolation === true) return true;
    return f.control.startsWith('CryptoCurrency:') && ctx.options?.stopOnCryptoCurrency === true;
  }

  return {
    async analyze(f, ctx): Promise<Analysis> {
      const id = f.resource.resourceId;
      return classified('analyse instance for isolation', async () => {
        const instance = await describeInstance(ec2For(f), id, ctx);
        const state = instance?.State?.Name;
        if (!instance || isGone(instance)) {
          return {
            verdict: 'no_action',
            reason: `instance ${id} no longer exists`,
            plan: [],
            observed: { state },
          };
        }
        if (f.details.resourceRole === 'TARGET') {
          return {
            verdict: 'cannot_fix',
            reason: `instance ${id} was the target of ${f.control}, not the actor: ticketed for investigation, not isolated`,
            plan: [],
            observed: { resourceRole: 'TARGET' },
          };
        }
        const enis = enisOf(instance);
        const asg = await autoScalingGroupOf(f, ctx);
        if (await alreadyIsolated(ec2For(f), id, enis, ctx)) {
          // A repeat of the finding (GuardDuty re-sends it) after an earlier run: nothing left to contain.
          return {
            verdict: 'no_action',
            reason: `instance ${id} is already isolated`,
            plan: [],
            observed: { enis },
          };
        }
        const stopWhy =
          ctx.options?.stopAfterIsolation === true
            ? 'policy: stopAfterIsolation'
            : 'policy: stopOnCryptoCurrency';
        const planned: PlannedStep[] = [
          {
            step: 'enable-termination-protection',
            description: `ModifyInstanceAttribute ${id} DisableApiTermination=true`,
          },
          {
            step: 'isolate-network-interfaces',
            description: `${enis.length} ENI(s) → ${allowAllGroupName('<vpc>')} → ${isolationGroupName('<vpc>')} (untrack, then no ingress and no egress)`,
          },
          ...(asg
            ? [
                {
                  step: 'detach-from-auto-scaling-group',
                  description: `DetachInstances from ${asg}, capacity kept`,
                },
              ]
            : []),
          {
            step: 'deregister-from-target-groups',
            description:
              'DeregisterTargets from the target groups of its Auto Scaling group and load balancers',
          },
          {
            step: 'set-shutdown-behaviour-stop',
            description: `ModifyInstanceAttribute ${id} InstanceInitiatedShutdownBehavior=stop`,
          },
          {
            step: 'tag-for-forensics',
            description: `CreateTags ${id}: ${TAG_FINDING}, ${TAG_ORIGINAL_GROUPS}`,
          },
          {
            step: 'snapshot-volumes',
            description: `CreateSnapshot of ${(instance.BlockDeviceMappings ?? []).length} EBS volume(s)`,
          },
          // Stopping loses memory, the best evidence: only when the policy asks for it.
          ...(shouldStop(f, ctx)
            ? [{ step: 'stop-instance', description: `StopInstances ${id} (${stopWhy})` }]
            : []),
        ];
        return {
          verdict: 'remediate',
          reason: `${f.control} (severity ${f.severity}) with the instance as actor`,
          plan: planned,
          observed: { state, enis, autoScalingGroup: asg },
        };
      });
    },

    async capturePriorState(f, ctx): Promise<IsolationPrior> {
      const ec2 = ec2For(f);
      const id = f.resource.resourceId;
      return classified('record instance state before isolation', async () => {
        const instance = await requireInstance(ec2, id, ctx);
        const [termination, shutdown, asg] = await Promise.all([
          attribute(ec2, id, 'disableApiTermination', ctx),
          attribute(ec2, id, 'instanceInitiatedShutdownBehavior', ctx),
          autoScalingGroupOf(f, ctx),
        ]);
        return {
          disableApiTermination: termination.DisableApiTermination?.Value ?? false,
          shutdownBehavior: shutdown.InstanceInitiatedShutdownBehavior?.Value ?? 'stop',
          enis: enisOf(instance),
          volumes: (instance.BlockDeviceMappings ?? []).map((b) => b.Ebs?.VolumeId ?? '').filter(Boolean),
          autoScalingGroup: asg,
          targetGroups: await targetGroupsOf(f, instance, asg, ctx),
        };
      });
    },

    async applyStep(step, f, prior, ctx): Promise<StepResult> {
      assertKnownStep('ec2-isolate-instance', step, STEPS);
      return classified(step, () => apply(step as Step, f, prior as IsolationPrior, ctx));
    },

    async compensateStep(step, f, prior: PriorState, ctx): Promise<StepResult> {
      assertKnownStep('ec2-isolate-instance', step, STEPS);
      return classified(`undo ${step}`, () => restore(step as Step, f, prior as IsolationPrior, ctx));
    },

    async verify(f, ctx): Promise<Verification> {
      const ec2 = ec2For(f);
      const id = f.resource.resourceId;
      return classified('verify isolation', async () => {
        const instance = await requireInstance(ec2, id, ctx);
        const problems: string[] = [];
        if (!(await attribute(ec2, id, 'disableApiTermination', ctx)).DisableApiTermination?.Value)
          problems.push('termination protection off');
        const untracking = inAllowAll(instance);
        const enis = enisOf(instance);
        // Repairs a tampered group (its rules revoked), and fails this verification all the same: the instance was
        // reachable for a while, which a person must know.
        const groups = await ensureIsolationGroups(
          ec2,
          enis.filter((e) => !untracking.has(e.networkInterfaceId)).map((e) => e.vpcId),
          opts(ctx),
        );
        for (const eni of enis) {
          if (untracking.has(eni.networkInterfaceId)) {
            problems.push(`${eni.networkInterfaceId} is in the allow-all group`);
            continue;
          }
          const isolation = groups.get(eni.vpcId);
          if (!isolation) continue; // every VPC of an ENI not in allow-all was ensured above
          if (isolation.removed.length > 0)
            problems.push(
              `isolation group ${isolation.groupId} had rules (revoked): ${isolation.removed.join(', ')}`,
            );
          if (eni.groups.length !== 1 || eni.groups[0] !== isolation.groupId)
            problems.push(`${eni.networkInterfaceId} has ${eni.groups.join(',')}`);
        }
        return {
          passed: problems.length === 0,
          detail:
            problems.length === 0
              ? `${id} isolated: termination protection on, every ENI in its rule-free isolation group`
              : [...new Set(problems)].join('; '),
          observed: { enis },
          at: new Date().toISOString(),
        };
      });
    },
  };
}

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
