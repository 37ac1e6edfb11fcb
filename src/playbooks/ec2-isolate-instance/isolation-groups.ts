/**
 * The two per-VPC security groups of instance isolation (docs/playbooks.md, ec2-isolate-instance):
 * - the isolation group: no rule at all, found by name and tag, and stripped of any rule someone added since;
 * - the allow-all group: every protocol from and to `0.0.0.0/0` and `::/0`, so that moving an ENI into it turns its
 *   tracked connections into untracked ones (which the isolation group then cuts). It exists only while a move uses
 *   it, and carries the protected tag so no remediation (ours included) and, with the sample SCP, no one else
 *   attaches or narrows it meanwhile.
 */
import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import type { EC2Client, IpPermission, SecurityGroup } from '@aws-sdk/client-ec2';
import { DEFAULT_PROTECTED_TAG } from '../../domain/policy';
import { awsErrorName } from '../../activities/aws-errors';

/** Name of the per-VPC group with no rules at all. */
export const isolationGroupName = (vpcId: string): string => `remediator-isolation-${vpcId}`;
/** Name of the per-VPC group that allows everything for a moment (turns tracked connections untracked). */
export const allowAllGroupName = (vpcId: string): string => `remediator-untrack-${vpcId}`;

/** Tag key saying what a remediator group is for (`isolation` or `untrack`); the sample SCP keys on it. */
export const TAG_PURPOSE = 'remediator:purpose';

/** Every protocol, IPv4 and IPv6: what the allow-all group permits both ways. */
export const EVERYTHING: IpPermission = {
  IpProtocol: '-1',
  IpRanges: [{ CidrIp: '0.0.0.0/0' }],
  Ipv6Ranges: [{ CidrIpv6: '::/0' }],
};

type Send = { readonly abortSignal?: AbortSignal };

/** The group of that name in the VPC, if there is one. */
export async function findVpcGroup(
  ec2: EC2Client,
  name: string,
  vpcId: string,
  opts: Send,
): Promise<SecurityGroup | undefined> {
  const out = await ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'group-name', Values: [name] },
        { Name: 'vpc-id', Values: [vpcId] },
      ],
    }),
    opts,
  );
  return out.SecurityGroups?.[0];
}

/**
 * The isolation groups of `vpcIds` that exist, by VPC, in one call (by name and VPC, as `findVpcGroup` finds one).
 */
export async function findIsolationGroups(
  ec2: EC2Client,
  vpcIds: readonly string[],
  opts: Send,
): Promise<Map<string, SecurityGroup>> {
  const vpcs = [...new Set(vpcIds)];
  const found = new Map<string, SecurityGroup>();
  if (vpcs.length === 0) return found;
  const out = await ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'vpc-id', Values: vpcs },
        { Name: 'group-name', Values: vpcs.map(isolationGroupName) },
      ],
    }),
    opts,
  );
  for (const group of out.SecurityGroups ?? []) {
    const vpcId = group.VpcId ?? '';
    if (vpcs.includes(vpcId) && group.GroupName === isolationGroupName(vpcId)) found.set(vpcId, group);
  }
  return found;
}

/**
 * The VPC's group of that name, or a new tagged one; `fresh` when this call created it (its only rule is then the
 * default IPv4 egress). A group a concurrent isolation created a moment earlier is found, not fresh.
 */
async function findOrCreateGroup(
  ec2: EC2Client,
  name: string,
  vpcId: string,
  purpose: 'isolation' | 'untrack',
  opts: Send,
): Promise<{ readonly group: SecurityGroup; readonly fresh: boolean }> {
  const existing = await findVpcGroup(ec2, name, vpcId, opts);
  if (existing) return { group: existing, fresh: false };
  try {
    const created = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: name,
        VpcId: vpcId,
        Description:
          purpose === 'untrack'
            ? 'remediator: allows all traffic for a moment so tracked connections become untracked'
            : 'remediator: isolation, no ingress and no egress',
        TagSpecifications: [
          {
            ResourceType: 'security-group',
            Tags: [
              { Key: TAG_PURPOSE, Value: purpose },
              { Key: DEFAULT_PROTECTED_TAG, Value: 'true' },
            ],
          },
        ],
      }),
      opts,
    );
    // A new group has an allow-all IPv4 egress rule; the caller sets the rules it wants.
    const group: SecurityGroup = {
      GroupId: created.GroupId,
      IpPermissions: [],
      IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    };
    return { group, fresh: true };
  } catch (err) {
    if (awsErrorName(err) !== 'InvalidGroup.Duplicate') throw err;
    const found = await findVpcGroup(ec2, name, vpcId, opts);
    if (!found?.GroupId) throw new Error(`${name} was created concurrently and then vanished`);
    return { group: found, fresh: false };
  }
}

/** What ensuring the isolation group did. */
export interface IsolationGroup {
  readonly groupId: string;
  /** Rules found on the group and revoked (someone tampered with it), in words; empty normally. */
  readonly removed: readonly string[];
}

/**
 * The VPC's isolation group, created if missing, with every rule revoked: a group found by name could have been
 * created or loosened by someone else, and a rule on it would let the "isolated" instance talk.
 */
export async function ensureIsolationGroup(
  ec2: EC2Client,
  vpcId: string,
  opts: Send,
): Promise<IsolationGroup> {
  const { group, fresh } = await findOrCreateGroup(ec2, isolationGroupName(vpcId), vpcId, 'isolation', opts);
  const groupId = group.GroupId ?? '';
  const removed: string[] = [];
  const ingress = (group.IpPermissions ?? []).map(withoutRuleIds);
  const egress = (group.IpPermissionsEgress ?? []).map(withoutRuleIds);
  if (ingress.length > 0) {
    await ec2
      .send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: ingress }), opts)
      .catch(ignoreNotFound);
    removed.push(...ingress.map((p) => `ingress ${describeRule(p)}`));
  }
  if (egress.length > 0) {
    await ec2
      .send(new RevokeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: egress }), opts)
      .catch(ignoreNotFound);
    // The default egress rule of a group just created is not tampering.
    if (!fresh) removed.push(...egress.map((p) => `egress ${describeRule(p)}`));
  }
  return { groupId, removed };
}

/** `ensureIsolationGroup` once per VPC, in the order first named. */
export async function ensureIsolationGroups(
  ec2: EC2Client,
  vpcIds: readonly string[],
  opts: Send,
): Promise<Map<string, IsolationGroup>> {
  const groups = new Map<string, IsolationGroup>();
  for (const vpcId of new Set(vpcIds)) groups.set(vpcId, await ensureIsolationGroup(ec2, vpcId, opts));
  return groups;
}

/** The VPC's allow-all group (IPv4 and IPv6, both ways), created if missing. */
export async function ensureAllowAllGroup(ec2: EC2Client, vpcId: string, opts: Send): Promise<string> {
  const { group } = await findOrCreateGroup(ec2, allowAllGroupName(vpcId), vpcId, 'untrack', opts);
  const groupId = group.GroupId ?? '';
  // Only the ranges missing: EC2 refuses a whole authorize when one of its rules exists already (a new group's default
  // IPv4 egress), which would leave IPv6 out.
  const ingress = missingEverything(group.IpPermissions);
  if (ingress) {
    await ec2
      .send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [ingress] }), opts)
      .catch(ignoreDuplicate);
  }
  const egress = missingEverything(group.IpPermissionsEgress);
  if (egress) {
    await ec2
      .send(new AuthorizeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: [egress] }), opts)
      .catch(ignoreDuplicate);
  }
  return groupId;
}

/** The all-protocol rule for whichever of `0.0.0.0/0` and `::/0` the rules lack; `undefined` when they have both. */
export function missingEverything(rules: readonly IpPermission[] | undefined): IpPermission | undefined {
  const all = (rules ?? []).filter((r) => r.IpProtocol === '-1');
  const v4 = all.some((r) => r.IpRanges?.some((x) => x.CidrIp === '0.0.0.0/0'));
  const v6 = all.some((r) => r.Ipv6Ranges?.some((x) => x.CidrIpv6 === '::/0'));
  if (v4 && v6) return undefined;
  return {
    IpProtocol: '-1',
    ...(v4 ? {} : { IpRanges: [{ CidrIp: '0.0.0.0/0' }] }),
    ...(v6 ? {} : { Ipv6Ranges: [{ CidrIpv6: '::/0' }] }),
  };
}

/**
 * Deletes the allow-all group once no ENI uses it: `in-use` when another isolation in the same VPC is moving an ENI
 * through it right now (`DependencyViolation`: that one deletes it when done), `failed` for any other error. Never
 * throws.
 */
export async function deleteAllowAllGroup(
  ec2: EC2Client,
  groupId: string,
  opts: Send,
): Promise<'deleted' | 'in-use' | 'failed'> {
  try {
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId }), opts);
    return 'deleted';
  } catch (err) {
    const name = awsErrorName(err);
    if (name === 'InvalidGroup.NotFound') return 'deleted';
    return name === 'DependencyViolation' ? 'in-use' : 'failed';
  }
}

/** True when the rules allow every protocol from/to both `0.0.0.0/0` and `::/0`. */
export function allowsEverything(rules: readonly IpPermission[] | undefined): boolean {
  return missingEverything(rules) === undefined;
}

/** A rule as it can be sent back in a revoke (describe answers carry fields a revoke does not take). */
function withoutRuleIds(rule: IpPermission): IpPermission {
  return {
    IpProtocol: rule.IpProtocol,
    ...(rule.FromPort !== undefined ? { FromPort: rule.FromPort } : {}),
    ...(rule.ToPort !== undefined ? { ToPort: rule.ToPort } : {}),
    ...(rule.IpRanges?.length ? { IpRanges: rule.IpRanges.map((r) => ({ CidrIp: r.CidrIp })) } : {}),
    ...(rule.Ipv6Ranges?.length
      ? { Ipv6Ranges: rule.Ipv6Ranges.map((r) => ({ CidrIpv6: r.CidrIpv6 })) }
      : {}),
    ...(rule.PrefixListIds?.length
      ? { PrefixListIds: rule.PrefixListIds.map((p) => ({ PrefixListId: p.PrefixListId })) }
      : {}),
    ...(rule.UserIdGroupPairs?.length
      ? { UserIdGroupPairs: rule.UserIdGroupPairs.map((p) => ({ GroupId: p.GroupId })) }
      : {}),
  };
}

/** A rule in words (`tcp 22-22 0.0.0.0/0`, `all ::/0`), for reasons and the recorded state. */
export function describeRule(rule: IpPermission): string {
  const ports =
    rule.IpProtocol === '-1' ? 'all' : `${rule.IpProtocol} ${rule.FromPort ?? ''}-${rule.ToPort ?? ''}`;
  const peers = [
    ...(rule.IpRanges ?? []).map((r) => r.CidrIp),
    ...(rule.Ipv6Ranges ?? []).map((r) => r.CidrIpv6),
    ...(rule.PrefixListIds ?? []).map((p) => p.PrefixListId),
    ...(rule.UserIdGroupPairs ?? []).map((p) => p.GroupId),
  ];
  return `${ports} ${peers.join(',')}`;
}

function ignoreDuplicate(err: unknown): void {
  if (awsErrorName(err) !== 'InvalidPermission.Duplicate') throw err;
}

function ignoreNotFound(err: unknown): void {
  if (awsErrorName(err) !== 'InvalidPermission.NotFound') throw err;
}
