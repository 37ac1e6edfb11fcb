/**
 * Playbook `sg-close-admin-ports`: close world-open admin ports on a security group (Config `restricted-ssh`, source
 * INCOMING_SSH_DISABLED, and `restricted-common-ports`, source RESTRICTED_INCOMING_TRAFFIC, on
 * `AWS::EC2::SecurityGroup`; Security Hub EC2.13, EC2.14, EC2.19). Only world-open pieces (0.0.0.0/0, ::/0; TCP)
 * covering a blocked port are revoked; a wider range is first re-authorised without the blocked ports, then the wide
 * piece is revoked, so nothing else ever closes. World-open all-protocol rules need approval: narrowing them would
 * change every other protocol too.
 *
 * The blocked ports come from the finding: 22 for `restricted-ssh` (EC2.13), the rule's `blockedPortN` parameters
 * (Security Hub's controls map to them at ingest) or the managed rule's defaults. The state is every ingress piece of
 * the group (one CIDR each, sorted) and those ports, so apply and rollback work from the recorded prior: each step
 * sends only the pieces of the prior's plan still missing (authorise) or still present (revoke), and undoes exactly
 * that, descriptions included.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import type { IpPermission } from '@aws-sdk/client-ec2';
import { z } from 'zod';
import type { Finding } from '../domain/finding';
import { blockedPortsFor, describePiece, pieceKey, planPortClosure } from '../domain/security-group-rules';
import type { IngressPiece, PortClosurePlan } from '../domain/security-group-rules';
import { controlMatches } from '../ingest/router';
import type { KitChange, KitIo, KitStep } from '../kit/playbook-kit';
import { definePlaybook } from '../kit/playbook-kit';
import { SECURITY_GROUP_RESOURCE } from './shared/resource-ids';
import { readSecurityGroup } from './shared/security-groups';

/** One ingress rule narrowed to a single CIDR (`IngressPiece`), as the legacy playbook recorded it. */
const piece = z.object({
  protocol: z.string(),
  fromPort: z.number().int(),
  toPort: z.number().int(),
  cidrIpv4: z.string().optional(),
  cidrIpv6: z.string().optional(),
  description: z.string().optional(),
});

/** Every ingress piece of the group, and the ports the finding blocks: the legacy prior's fields and shapes. */
const state = z.object({
  ingress: z.array(piece),
  blockedPorts: z.array(z.number().int()),
});
type State = z.infer<typeof state>;

/** Splits EC2's grouped permissions into single-CIDR pieces (security-group and prefix-list sources are not CIDRs). */
export function toPieces(permissions: readonly IpPermission[] | undefined): IngressPiece[] {
  const pieces: IngressPiece[] = [];
  for (const p of permissions ?? []) {
    const base = { protocol: p.IpProtocol ?? '-1', fromPort: p.FromPort ?? -1, toPort: p.ToPort ?? -1 };
    for (const r of p.IpRanges ?? []) {
      if (r.CidrIp)
        pieces.push({
          ...base,
          cidrIpv4: r.CidrIp,
          ...(r.Description ? { description: r.Description } : {}),
        });
    }
    for (const r of p.Ipv6Ranges ?? []) {
      if (r.CidrIpv6)
        pieces.push({
          ...base,
          cidrIpv6: r.CidrIpv6,
          ...(r.Description ? { description: r.Description } : {}),
        });
    }
  }
  return pieces;
}

function toPermission(p: IngressPiece): IpPermission {
  const description = p.description ? { Description: p.description } : {};
  return {
    IpProtocol: p.protocol,
    ...(p.protocol === '-1' ? {} : { FromPort: p.fromPort, ToPort: p.toPort }),
    ...(p.cidrIpv4 ? { IpRanges: [{ CidrIp: p.cidrIpv4, ...description }] } : {}),
    ...(p.cidrIpv6 ? { Ipv6Ranges: [{ CidrIpv6: p.cidrIpv6, ...description }] } : {}),
  };
}

/** The managed rule whose semantics apply: resolved at ingest (Config, Security Hub), else by the rule's name. */
function managedControl(finding: Finding): string {
  const managed = finding.details.managedControl;
  if (managed) return managed;
  return controlMatches(finding.control, 'restricted-ssh') ? 'restricted-ssh' : 'restricted-common-ports';
}

const planOf = (s: State): PortClosurePlan => planPortClosure(s.ingress, s.blockedPorts);
const listed = (pieces: readonly IngressPiece[]) => pieces.map(describePiece).join(', ');
const keysOf = (s: State) => new Set(s.ingress.map(pieceKey));
/** The pieces of `pieces` that `s` has (`present`) or lacks. */
const having = (s: State, pieces: readonly IngressPiece[], present: boolean) => {
  const keys = keysOf(s);
  return pieces.filter((p) => keys.has(pieceKey(p)) === present);
};

async function authorize(io: KitIo, pieces: readonly IngressPiece[]): Promise<void> {
  await io.client(EC2Client).send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: io.resource.resourceId,
      IpPermissions: pieces.map(toPermission),
    }),
    { abortSignal: io.abortSignal },
  );
}

async function revoke(io: KitIo, pieces: readonly IngressPiece[]): Promise<void> {
  // Descriptions are not part of a rule's identity, and a mismatched one makes EC2 refuse the revoke.
  const bare = pieces.map((p) => toPermission({ ...p, description: undefined }));
  await io
    .client(EC2Client)
    .send(new RevokeSecurityGroupIngressCommand({ GroupId: io.resource.resourceId, IpPermissions: bare }), {
      abortSignal: io.abortSignal,
    });
}

/** Authorises `pieces` of the prior's plan that `current` lacks. */
async function authorizeMissing(
  io: KitIo,
  current: State,
  pieces: readonly IngressPiece[],
  verb: string,
  nothing: string,
): Promise<KitChange> {
  const missing = having(current, pieces, false);
  if (missing.length === 0) return { changed: false, detail: nothing };
  await authorize(io, missing);
  return { changed: true, detail: `${verb} ${listed(missing)}` };
}

/** Revokes `pieces` of the prior's plan that `current` has. */
async function revokePresent(
  io: KitIo,
  current: State,
  pieces: readonly IngressPiece[],
  nothing: string,
): Promise<KitChange> {
  const there = having(current, pieces, true);
  if (there.length === 0) return { changed: false, detail: nothing };
  await revoke(io, there);
  return { changed: true, detail: `revoked ${listed(there)}` };
}

const NOTHING_LEFT = 'nothing left to do';
const AS_RECORDED = 'already as recorded';

/** Re-opens the non-blocked ports of each world-open piece that is revoked next. */
const authorizeRemaining: KitStep<State> = {
  id: 'authorize-remaining-ports',
  title: 'Re-open the non-blocked ports of each wide rule',
  onFailure: 'compensate',
  plan(s, { resource }) {
    const { add } = planOf(s);
    return add.length === 0
      ? undefined
      : `AuthorizeSecurityGroupIngress on ${resource.resourceId}: ${listed(add)}`;
  },
  // The prior's plan, as the legacy code applied it: still needed while any of its pieces is missing.
  needed: (current, prior) => having(current, planOf(prior).add, false).length > 0,
  apply: (io, current, prior) => authorizeMissing(io, current, planOf(prior).add, 'authorised', NOTHING_LEFT),
  // Exactly the inverse: remove what the step added.
  undo: (io, prior, current) => revokePresent(io, current, planOf(prior).add, AS_RECORDED),
};

/** Revokes the world-open pieces that cover a blocked port. */
const revokeWorldOpen: KitStep<State> = {
  id: 'revoke-world-open-admin-ports',
  title: 'Revoke the world-open pieces on blocked ports',
  onFailure: 'compensate',
  plan(s, { resource }) {
    const { revoke: open } = planOf(s);
    return open.length === 0
      ? undefined
      : `RevokeSecurityGroupIngress on ${resource.resourceId}: ${listed(open)}`;
  },
  needed: (current, prior) => having(current, planOf(prior).revoke, true).length > 0,
  apply: (io, current, prior) => revokePresent(io, current, planOf(prior).revoke, NOTHING_LEFT),
  // Exactly the inverse: authorise what the step revoked, with its description.
  undo: (io, prior, current) =>
    authorizeMissing(io, current, planOf(prior).revoke, 're-authorised', AS_RECORDED),
};

export const sgCloseAdminPorts = definePlaybook({
  id: 'sg-close-admin-ports',
  title: 'Close world-open admin ports on a security group',
  kind: 'configuration',
  defaultMode: 'auto',
  roleFamily: 'configuration',
  resource: SECURITY_GROUP_RESOURCE,
  defaultSeverity: 8,
  triggers: {
    configRules: {
      'restricted-ssh': { identifier: 'INCOMING_SSH_DISABLED' },
      'restricted-common-ports': { identifier: 'RESTRICTED_INCOMING_TRAFFIC' },
    },
    securityHubControls: ['EC2.13', 'EC2.14', 'EC2.19'],
  },
  iamActions: [
    'ec2:DescribeSecurityGroups',
    'ec2:AuthorizeSecurityGroupIngress',
    'ec2:RevokeSecurityGroupIngress',
  ],
  state,

  async read(io) {
    const group = await readSecurityGroup(io);
    if (!group) return undefined;
    return {
      // Sorted: EC2 groups rules in no fixed order, and a restored group must read as the recorded one.
      ingress: toPieces(group.IpPermissions).sort((a, b) => pieceKey(a).localeCompare(pieceKey(b))),
      blockedPorts: blockedPortsFor(managedControl(io.finding), io.finding.details),
    };
  },
  describe(s) {
    const { revoke: open } = planOf(s);
    const ports = s.blockedPorts.join(', ');
    return open.length === 0
      ? `no world-open rule on ports ${ports}`
      : `allows ${listed(open)} (blocked ports ${ports})`;
  },
  needsApproval(s) {
    const { needsApproval } = planOf(s);
    // Narrowing an all-protocol rule re-opens TCP, UDP and ICMP only: a person decides.
    return needsApproval.length === 0
      ? undefined
      : `${listed(needsApproval)}: closing ports ${s.blockedPorts.join(', ')} there replaces it with TCP (without those ports), UDP and ICMP, so every other IP protocol loses its world-open access`;
  },
  // Any world-open piece on a blocked port left fails verification, all-protocol ones included.
  stillWrong(s) {
    const { revoke: open } = planOf(s);
    return open.length === 0 ? undefined : `still open: ${listed(open)}`;
  },

  steps: [authorizeRemaining, revokeWorldOpen],
});
