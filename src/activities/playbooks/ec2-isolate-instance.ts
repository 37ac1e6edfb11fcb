/**
 * Playbook `ec2-isolate-instance`: contain an instance GuardDuty caught acting maliciously
 * (`UnauthorizedAccess:EC2/*`, `CryptoCurrency:EC2/*`, resourceRole ACTOR), in the order incident responders use:
 * termination protection, shutdown behaviour `stop`, forensic tags, EBS snapshots, out of its Auto Scaling group and
 * target groups, then per ENI an allow-all group (tracked connections become untracked) followed by an isolation
 * group with no ingress and no egress (one per VPC, reused). Every step fails closed: what was done stays done.
 * Memory is evidence, so the instance is not stopped.
 */
import {
  DescribeAutoScalingInstancesCommand,
  DetachInstancesCommand,
  AttachInstancesCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstanceAttributeCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
  StartInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { EC2Client, Instance } from '@aws-sdk/client-ec2';
import {
  DeregisterTargetsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AwsClients } from '../../aws/clients';
import type { Finding } from '../../domain/finding';
import type { Analysis, PlannedStep, PriorState, StepResult, Verification } from '../../domain/remediation';
import { classified } from '../aws-errors';
import type { CallContext, PlaybookHandler } from './playbook-handler';
import { describeInstance, requireInstance, isGone } from './ec2-instances';
import { assertKnownStep } from './steps';

/** One network interface and the groups it had. */
export interface EniGroups {
  readonly networkInterfaceId: string;
  readonly vpcId: string;
  readonly groups: readonly string[];
}

/** Everything isolation changes, recorded before the first step. */
export interface IsolationPrior extends Record<string, unknown> {
  readonly disableApiTermination: boolean;
  readonly shutdownBehavior: string;
  readonly enis: readonly EniGroups[];
  readonly volumes: readonly string[];
  readonly autoScalingGroup: string | null;
  readonly targetGroups: ReadonlyArray<{ readonly targetGroupArn: string; readonly port: number | null }>;
}

/** Tag keys the playbook writes. */
export const TAG_FINDING = 'remediator:guardduty-finding';
export const TAG_ORIGINAL_GROUPS = 'remediator:original-groups';

const STEPS = [
  'enable-termination-protection',
  'set-shutdown-behaviour-stop',
  'tag-for-forensics',
  'snapshot-volumes',
  'detach-from-auto-scaling-group',
  'deregister-from-target-groups',
  'apply-allow-all-group',
  'apply-isolation-group',
  'stop-instance',
] as const;

/** Name of the per-VPC group with no rules at all. */
export const isolationGroupName = (vpcId: string): string => `remediator-isolation-${vpcId}`;
/** Name of the per-VPC group that allows everything (turns tracked connections untracked). */
export const allowAllGroupName = (vpcId: string): string => `remediator-untrack-${vpcId}`;

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

  async function targetGroupsOf(f: Finding, ctx: CallContext): Promise<IsolationPrior['targetGroups']> {
    const elb = clients.elbv2(f.resource.account, f.resource.region);
    const found: Array<{ targetGroupArn: string; port: number | null }> = [];
    let marker: string | undefined;
    do {
      const page = await elb.send(
        new DescribeTargetGroupsCommand({ ...(marker ? { Marker: marker } : {}) }),
        opts(ctx),
      );
      for (const tg of page.TargetGroups ?? []) {
        if (!tg.TargetGroupArn || tg.TargetType !== 'instance') continue;
        const health = await elb.send(
          new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn }),
          opts(ctx),
        );
        for (const d of health.TargetHealthDescriptions ?? []) {
          if (d.Target?.Id === f.resource.resourceId)
            found.push({ targetGroupArn: tg.TargetGroupArn, port: d.Target.Port ?? null });
        }
      }
      marker = page.NextMarker;
    } while (marker);
    return found;
  }

  async function findVpcGroup(
    ec2: EC2Client,
    name: string,
    vpcId: string,
    ctx: CallContext,
  ): Promise<string | undefined> {
    const out = await ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [
          { Name: 'group-name', Values: [name] },
          { Name: 'vpc-id', Values: [vpcId] },
        ],
      }),
      opts(ctx),
    );
    return out.SecurityGroups?.[0]?.GroupId;
  }

  /** Finds or creates a per-VPC group; `allowAll` decides its rules. Idempotent under concurrent creation. */
  async function vpcGroup(
    ec2: EC2Client,
    vpcId: string,
    allowAll: boolean,
    ctx: CallContext,
  ): Promise<string> {
    const name = allowAll ? allowAllGroupName(vpcId) : isolationGroupName(vpcId);
    const find = (): Promise<string | undefined> => findVpcGroup(ec2, name, vpcId, ctx);
    const existing = await find();
    if (existing) return existing;
    let groupId: string | undefined;
    try {
      const created = await ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: name,
          VpcId: vpcId,
          Description: allowAll
            ? 'remediator: allows all traffic for a moment so tracked connections become untracked'
            : 'remediator: isolation, no ingress and no egress',
        }),
        opts(ctx),
      );
      groupId = created.GroupId;
    } catch (err) {
      if ((err as { name?: string }).name !== 'InvalidGroup.Duplicate') throw err;
      groupId = await find();
    }
    if (!groupId) throw new Error(`could not create ${name}`);
    const everything = { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] };
    if (allowAll) {
      await ec2
        .send(
          new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [everything] }),
          opts(ctx),
        )
        .catch(ignoreDuplicate);
      await ec2
        .send(
          new AuthorizeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: [everything] }),
          opts(ctx),
        )
        .catch(ignoreDuplicate);
    } else {
      // New groups come with an allow-all egress rule; isolation keeps none.
      await ec2
        .send(
          new RevokeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: [everything] }),
          opts(ctx),
        )
        .catch(ignoreNotFound);
    }
    return groupId;
  }

  async function setEniGroups(
    ec2: EC2Client,
    eniId: string,
    groups: string[],
    ctx: CallContext,
  ): Promise<void> {
    await ec2.send(
      new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Groups: groups }),
      opts(ctx),
    );
  }

  function originalGroupsTag(enis: readonly EniGroups[]): string {
    const value = enis.map((e) => `${e.networkInterfaceId}=${e.groups.join(',')}`).join(';');
    return value.length <= 256 ? value : `${value.slice(0, 253)}...`;
  }

  async function apply(
    step: (typeof STEPS)[number],
    f: Finding,
    prior: IsolationPrior,
    ctx: CallContext,
  ): Promise<StepResult> {
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
        const current = await targetGroupsOf(f, ctx);
        const elb = clients.elbv2(f.resource.account, f.resource.region);
        for (const tg of current) {
          await elb.send(
            new DeregisterTargetsCommand({
              TargetGroupArn: tg.targetGroupArn,
              Targets: [{ Id: id, ...(tg.port !== null ? { Port: tg.port } : {}) }],
            }),
            opts(ctx),
          );
        }
        return done(
          current.length > 0,
          current.length > 0 ? `deregistered from ${current.length} target group(s)` : 'in no target group',
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
      case 'apply-allow-all-group':
      case 'apply-isolation-group': {
        const allowAll = step === 'apply-allow-all-group';
        const instance = await requireInstance(ec2, id, ctx);
        let changed = 0;
        for (const eni of enisOf(instance)) {
          const isolation = await vpcGroup(ec2, eni.vpcId, false, ctx);
          // Never step back: an ENI already isolated stays isolated when the allow-all step is retried.
          if (eni.groups.length === 1 && eni.groups[0] === isolation) continue;
          const target = allowAll ? await vpcGroup(ec2, eni.vpcId, true, ctx) : isolation;
          if (eni.groups.length === 1 && eni.groups[0] === target) continue;
          await setEniGroups(ec2, eni.networkInterfaceId, [target], ctx);
          changed += 1;
        }
        return done(
          changed > 0,
          `${changed} network interface(s) moved to the ${allowAll ? 'allow-all' : 'isolation'} group`,
        );
      }
    }
  }

  async function restore(
    step: (typeof STEPS)[number],
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
      case 'apply-allow-all-group':
      case 'apply-isolation-group': {
        const instance = await requireInstance(ec2, id, ctx);
        const now = new Map(enisOf(instance).map((e) => [e.networkInterfaceId, e.groups.join(',')]));
        let changed = 0;
        for (const eni of prior.enis) {
          if (now.get(eni.networkInterfaceId) === eni.groups.join(',')) continue;
          await setEniGroups(ec2, eni.networkInterfaceId, [...eni.groups], ctx);
          changed += 1;
        }
        return done(changed > 0, `${changed} network interface(s) back to their original groups`);
      }
    }
  }

  async function alreadyIsolated(
    ec2: EC2Client,
    id: string,
    enis: readonly EniGroups[],
    ctx: CallContext,
  ): Promise<boolean> {
    if (enis.length === 0) return false;
    for (const eni of enis) {
      const isolation = await findVpcGroup(ec2, isolationGroupName(eni.vpcId), eni.vpcId, ctx);
      if (!isolation || eni.groups.length !== 1 || eni.groups[0] !== isolation) return false;
    }
    return (await attribute(ec2, id, 'disableApiTermination', ctx)).DisableApiTermination?.Value === true;
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
        const [asg, targetGroups] = await Promise.all([autoScalingGroupOf(f, ctx), targetGroupsOf(f, ctx)]);
        if (await alreadyIsolated(ec2For(f), id, enis, ctx)) {
          // A repeat of the finding (GuardDuty re-sends it) after an earlier run: nothing left to contain.
          return {
            verdict: 'no_action',
            reason: `instance ${id} is already isolated`,
            plan: [],
            observed: { enis },
          };
        }
        const planned: PlannedStep[] = [
          {
            step: 'enable-termination-protection',
            description: `ModifyInstanceAttribute ${id} DisableApiTermination=true`,
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
          ...(asg
            ? [
                {
                  step: 'detach-from-auto-scaling-group',
                  description: `DetachInstances from ${asg}, capacity kept`,
                },
              ]
            : []),
          ...(targetGroups.length
            ? [
                {
                  step: 'deregister-from-target-groups',
                  description: `DeregisterTargets from ${targetGroups.length} target group(s)`,
                },
              ]
            : []),
          {
            step: 'apply-allow-all-group',
            description: `${enis.length} ENI(s) → ${allowAllGroupName('<vpc>')} (untrack connections)`,
          },
          {
            step: 'apply-isolation-group',
            description: `${enis.length} ENI(s) → ${isolationGroupName('<vpc>')} (no ingress, no egress)`,
          },
          // Stopping loses memory, the best evidence; only for cryptomining and only when the policy asks for it.
          ...(f.control.startsWith('CryptoCurrency:') && ctx.options?.stopOnCryptoCurrency === true
            ? [{ step: 'stop-instance', description: `StopInstances ${id} (policy: stopOnCryptoCurrency)` }]
            : []),
        ];
        return {
          verdict: 'remediate',
          reason: `${f.control} (severity ${f.severity}) with the instance as actor`,
          plan: planned,
          observed: { state, enis, autoScalingGroup: asg, targetGroups },
        };
      });
    },

    async capturePriorState(f, ctx): Promise<IsolationPrior> {
      const ec2 = ec2For(f);
      const id = f.resource.resourceId;
      return classified('record instance state before isolation', async () => {
        const instance = await requireInstance(ec2, id, ctx);
        const [termination, shutdown, asg, targetGroups] = await Promise.all([
          attribute(ec2, id, 'disableApiTermination', ctx),
          attribute(ec2, id, 'instanceInitiatedShutdownBehavior', ctx),
          autoScalingGroupOf(f, ctx),
          targetGroupsOf(f, ctx),
        ]);
        return {
          disableApiTermination: termination.DisableApiTermination?.Value ?? false,
          shutdownBehavior: shutdown.InstanceInitiatedShutdownBehavior?.Value ?? 'stop',
          enis: enisOf(instance),
          volumes: (instance.BlockDeviceMappings ?? []).map((b) => b.Ebs?.VolumeId ?? '').filter(Boolean),
          autoScalingGroup: asg,
          targetGroups,
        };
      });
    },

    async applyStep(step, f, prior, ctx): Promise<StepResult> {
      assertKnownStep('ec2-isolate-instance', step, STEPS);
      return classified(step, () => apply(step as (typeof STEPS)[number], f, prior as IsolationPrior, ctx));
    },

    async compensateStep(step, f, prior: PriorState, ctx): Promise<StepResult> {
      assertKnownStep('ec2-isolate-instance', step, STEPS);
      return classified(`undo ${step}`, () =>
        restore(step as (typeof STEPS)[number], f, prior as IsolationPrior, ctx),
      );
    },

    async verify(f, ctx): Promise<Verification> {
      const ec2 = ec2For(f);
      const id = f.resource.resourceId;
      return classified('verify isolation', async () => {
        const instance = await requireInstance(ec2, id, ctx);
        const problems: string[] = [];
        if (!(await attribute(ec2, id, 'disableApiTermination', ctx)).DisableApiTermination?.Value)
          problems.push('termination protection off');
        if (
          (await attribute(ec2, id, 'instanceInitiatedShutdownBehavior', ctx))
            .InstanceInitiatedShutdownBehavior?.Value !== 'stop'
        ) {
          problems.push('shutdown behaviour is not stop');
        }
        for (const eni of enisOf(instance)) {
          const isolation = await vpcGroup(ec2, eni.vpcId, false, ctx);
          if (eni.groups.length !== 1 || eni.groups[0] !== isolation)
            problems.push(`${eni.networkInterfaceId} has ${eni.groups.join(',')}`);
        }
        const asg = await autoScalingGroupOf(f, ctx);
        if (asg) problems.push(`still in ${asg}`);
        return {
          passed: problems.length === 0,
          detail:
            problems.length === 0
              ? `${id} isolated: protected, stop on shutdown, every ENI in the isolation group`
              : problems.join('; '),
          observed: { enis: enisOf(instance), autoScalingGroup: asg },
          at: new Date().toISOString(),
        };
      });
    },
  };
}

function ignoreDuplicate(err: unknown): void {
  if ((err as { name?: string }).name !== 'InvalidPermission.Duplicate') throw err;
}

function ignoreNotFound(err: unknown): void {
  if ((err as { name?: string }).name !== 'InvalidPermission.NotFound') throw err;
}
