/**
 * Playbook `ec2-default-sg-closed`: a VPC's default security group allows no traffic in or out (Config
 * `vpc-default-security-group-closed`, source VPC_DEFAULT_SECURITY_GROUP_CLOSED, on `AWS::EC2::SecurityGroup`;
 * Security Hub EC2.2). Two steps: revoke every inbound rule, then every outbound rule. Only a group named `default`
 * is ever changed; any other group the rule is pointed at is escalated.
 *
 * The state is every rule of the group, one source each (an IPv4 or IPv6 range, a prefix list or a referenced group,
 * with its description), sorted, so rollback authorises exactly the recorded rules again. Approval by default: an
 * instance or interface still in the default group loses all of its traffic through it.
 */
import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  EC2Client,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import type { IpPermission } from '@aws-sdk/client-ec2';
import { z } from 'zod';
import type { KitChange, KitIo, KitStep } from '../kit/playbook-kit';
import { definePlaybook } from '../kit/playbook-kit';
import { SECURITY_GROUP_RESOURCE } from './shared/resource-ids';
import { readSecurityGroup } from './shared/security-groups';

/** One rule of a security group with exactly one source or destination, as EC2 authorises and revokes it. */
const rule = z.object({
  /** `tcp`, `udp`, `icmp`, `icmpv6`, `-1` (all) or a protocol number, as EC2 reports it. */
  protocol: z.string(),
  /** Absent for all-protocol rules; ICMP type and code for ICMP. */
  fromPort: z.number().int().optional(),
  toPort: z.number().int().optional(),
  /** Exactly one of the next four. */
  cidrIpv4: z.string().optional(),
  cidrIpv6: z.string().optional(),
  prefixListId: z.string().optional(),
  /** A referenced security group, and the account that owns it. */
  groupId: z.string().optional(),
  userId: z.string().optional(),
  description: z.string().optional(),
});
type Rule = z.infer<typeof rule>;

const state = z.object({
  groupName: z.string(),
  ingress: z.array(rule),
  egress: z.array(rule),
});
type State = z.infer<typeof state>;

/** Splits EC2's grouped permissions into one rule per range, prefix list and referenced group. */
function rulesOf(permissions: readonly IpPermission[] | undefined): Rule[] {
  const rules: Rule[] = [];
  for (const p of permissions ?? []) {
    const base: Rule = {
      protocol: p.IpProtocol ?? '-1',
      ...(p.FromPort !== undefined ? { fromPort: p.FromPort } : {}),
      ...(p.ToPort !== undefined ? { toPort: p.ToPort } : {}),
    };
    const described = (d: string | undefined) => (d ? { description: d } : {});
    for (const r of p.IpRanges ?? []) {
      if (r.CidrIp) rules.push({ ...base, cidrIpv4: r.CidrIp, ...described(r.Description) });
    }
    for (const r of p.Ipv6Ranges ?? []) {
      if (r.CidrIpv6) rules.push({ ...base, cidrIpv6: r.CidrIpv6, ...described(r.Description) });
    }
    for (const r of p.PrefixListIds ?? []) {
      if (r.PrefixListId) rules.push({ ...base, prefixListId: r.PrefixListId, ...described(r.Description) });
    }
    for (const r of p.UserIdGroupPairs ?? []) {
      if (r.GroupId) {
        rules.push({
          ...base,
          groupId: r.GroupId,
          ...(r.UserId ? { userId: r.UserId } : {}),
          ...described(r.Description),
        });
      }
    }
  }
  return rules.sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
}

/** A rule's identity: everything but its description (EC2 keeps one rule per identity). */
function keyOf(r: Rule): string {
  const source = r.cidrIpv4 ?? r.cidrIpv6 ?? r.prefixListId ?? `${r.groupId ?? ''}@${r.userId ?? ''}`;
  return `${r.protocol}|${r.fromPort ?? ''}|${r.toPort ?? ''}|${source}`;
}

/** One rule as the SDK's permission, description included (a revoke with another description is refused). */
function permissionOf(r: Rule): IpPermission {
  const description = r.description ? { Description: r.description } : {};
  return {
    IpProtocol: r.protocol,
    ...(r.fromPort !== undefined ? { FromPort: r.fromPort } : {}),
    ...(r.toPort !== undefined ? { ToPort: r.toPort } : {}),
    ...(r.cidrIpv4 ? { IpRanges: [{ CidrIp: r.cidrIpv4, ...description }] } : {}),
    ...(r.cidrIpv6 ? { Ipv6Ranges: [{ CidrIpv6: r.cidrIpv6, ...description }] } : {}),
    ...(r.prefixListId ? { PrefixListIds: [{ PrefixListId: r.prefixListId, ...description }] } : {}),
    ...(r.groupId
      ? {
          UserIdGroupPairs: [
            { GroupId: r.groupId, ...(r.userId ? { UserId: r.userId } : {}), ...description },
          ],
        }
      : {}),
  };
}

/** A rule in words: `tcp 443 10.0.0.0/8`, `all traffic sg-…`. */
function describeRule(r: Rule): string {
  const protocol = r.protocol === '-1' ? 'all traffic' : r.protocol;
  const ports =
    r.protocol === '-1' || r.fromPort === undefined
      ? ''
      : r.fromPort === r.toPort
        ? ` ${r.fromPort}`
        : ` ${r.fromPort}-${r.toPort ?? ''}`;
  const peer = r.cidrIpv4 ?? r.cidrIpv6 ?? r.prefixListId ?? r.groupId ?? '?';
  return `${protocol}${ports} ${peer}`;
}

/** The revoke step and its undo for one direction. */
function closeStep(direction: 'ingress' | 'egress'): KitStep<State> {
  const inbound = direction === 'ingress';
  const revokeName = inbound ? 'RevokeSecurityGroupIngress' : 'RevokeSecurityGroupEgress';
  const authorizeName = inbound ? 'AuthorizeSecurityGroupIngress' : 'AuthorizeSecurityGroupEgress';
  const send = async (io: KitIo, action: 'revoke' | 'authorize', rules: readonly Rule[]) => {
    const ec2 = io.client(EC2Client);
    const input = { GroupId: io.resource.resourceId, IpPermissions: rules.map(permissionOf) };
    const options = { abortSignal: io.abortSignal };
    if (action === 'revoke') {
      if (inbound) await ec2.send(new RevokeSecurityGroupIngressCommand(input), options);
      else await ec2.send(new RevokeSecurityGroupEgressCommand(input), options);
    } else if (inbound) await ec2.send(new AuthorizeSecurityGroupIngressCommand(input), options);
    else await ec2.send(new AuthorizeSecurityGroupEgressCommand(input), options);
  };
  return {
    id: inbound ? 'revoke-ingress' : 'revoke-egress',
    title: `${revokeName} (every ${inbound ? 'inbound' : 'outbound'} rule)`,
    onFailure: 'compensate',
    plan: (s, { resource }) =>
      s[direction].length === 0
        ? undefined
        : `${revokeName} on ${resource.resourceId}: ${s[direction].map(describeRule).join(', ')}`,
    async apply(io, current): Promise<KitChange> {
      const rules = current[direction];
      await send(io, 'revoke', rules);
      return { changed: true, detail: `revoked ${rules.map(describeRule).join(', ')}` };
    },
    async undo(io, prior, current): Promise<KitChange> {
      const present = new Set(current[direction].map(keyOf));
      const missing = prior[direction].filter((r) => !present.has(keyOf(r)));
      if (missing.length === 0) return { changed: false, detail: 'already as recorded' };
      await send(io, 'authorize', missing);
      return {
        changed: true,
        detail: `${authorizeName}: ${missing.map(describeRule).join(', ')} (as recorded)`,
      };
    },
  };
}

export const ec2DefaultSgClosed = definePlaybook({
  id: 'ec2-default-sg-closed',
  title: "Remove every rule from a VPC's default security group",
  kind: 'configuration',
  defaultMode: 'approve',
  roleFamily: 'configuration',
  resource: SECURITY_GROUP_RESOURCE,
  defaultSeverity: 5,
  triggers: {
    configRules: {
      'vpc-default-security-group-closed': { identifier: 'VPC_DEFAULT_SECURITY_GROUP_CLOSED' },
    },
    securityHubControls: ['EC2.2'],
  },
  iamActions: [
    'ec2:DescribeSecurityGroups',
    'ec2:RevokeSecurityGroupIngress',
    'ec2:RevokeSecurityGroupEgress',
    'ec2:AuthorizeSecurityGroupIngress',
    'ec2:AuthorizeSecurityGroupEgress',
  ],
  state,

  async read(io) {
    const group = await readSecurityGroup(io);
    if (!group) return undefined;
    return {
      groupName: group.GroupName ?? '',
      ingress: rulesOf(group.IpPermissions),
      egress: rulesOf(group.IpPermissionsEgress),
    };
  },
  describe: (s) =>
    `security group '${s.groupName}' with ${s.ingress.length} inbound and ${s.egress.length} outbound rule(s)`,
  cannotFix: (s) =>
    s.groupName === 'default'
      ? undefined
      : `not a default security group (named '${s.groupName}'): only a VPC's default group is closed automatically`,

  steps: [closeStep('ingress'), closeStep('egress')],
});
