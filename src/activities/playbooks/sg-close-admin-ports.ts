/**
 * Playbook `sg-close-admin-ports`: close world-open admin ports on a security group (Config `restricted-ssh`,
 * `restricted-common-ports`; Security Hub EC2.13, EC2.14, EC2.19). Only world-open pieces (0.0.0.0/0, ::/0; TCP) covering a
 * blocked port are revoked; a wider range is first re-authorised without the blocked ports, then the wide piece is
 * revoked, so nothing else ever closes. World-open all-protocol rules need approval: narrowing them would change every
 * other protocol too.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupsCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import type { EC2Client, IpPermission, SecurityGroup } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../../aws/clients';
import type { Finding } from '../../domain/finding';
import type { Analysis, PriorState, StepResult, Verification } from '../../domain/remediation';
import { blockedPortsFor, describePiece, pieceKey, planPortClosure } from '../../domain/security-group-rules';
import type { IngressPiece, PortClosurePlan } from '../../domain/security-group-rules';
import { controlMatches } from '../../ingest/router';
import { classified, isNotFound } from '../aws-errors';
import type { CallContext, PlaybookHandler } from './playbook-handler';
import { assertKnownStep } from './steps';

/** What this playbook records: every ingress piece of the group before the change, and the ports it closes. */
export interface SecurityGroupPrior extends Record<string, unknown> {
  readonly ingress: readonly IngressPiece[];
  readonly blockedPorts: readonly number[];
}

const ADD = 'authorize-remaining-ports';
const REVOKE = 'revoke-world-open-admin-ports';
const STEPS = [ADD, REVOKE];

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

function toPermission(piece: IngressPiece): IpPermission {
  const description = piece.description ? { Description: piece.description } : {};
  return {
    IpProtocol: piece.protocol,
    ...(piece.protocol === '-1' ? {} : { FromPort: piece.fromPort, ToPort: piece.toPort }),
    ...(piece.cidrIpv4 ? { IpRanges: [{ CidrIp: piece.cidrIpv4, ...description }] } : {}),
    ...(piece.cidrIpv6 ? { Ipv6Ranges: [{ CidrIpv6: piece.cidrIpv6, ...description }] } : {}),
  };
}

function managedControl(finding: Finding): string {
  const managed = finding.details.managedControl;
  if (managed) return managed;
  return controlMatches(finding.control, 'restricted-ssh') ? 'restricted-ssh' : 'restricted-common-ports';
}

/** Builds the playbook from the shared client factory. */
export function sgCloseAdminPorts(clients: AwsClients): PlaybookHandler {
  const ec2For = (finding: Finding): EC2Client =>
    clients.ec2(finding.resource.account, finding.resource.region);

  async function describe(
    ec2: EC2Client,
    groupId: string,
    ctx: CallContext,
  ): Promise<SecurityGroup | undefined> {
    try {
      const out = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }), {
        abortSignal: ctx.abortSignal,
      });
      return out.SecurityGroups?.[0];
    } catch (err) {
      if (isNotFound(err) || (err as { name?: string }).name === 'InvalidGroup.NotFound') return undefined;
      throw err;
    }
  }

  async function currentPieces(ec2: EC2Client, groupId: string, ctx: CallContext): Promise<IngressPiece[]> {
    const group = await describe(ec2, groupId, ctx);
    if (!group)
      throw Object.assign(new Error(`security group ${groupId} not found`), {
        name: 'InvalidGroup.NotFound',
        $fault: 'client',
      });
    return toPieces(group.IpPermissions);
  }

  /** Authorises each piece not present now; returns how many it added. */
  async function authorize(
    ec2: EC2Client,
    groupId: string,
    pieces: readonly IngressPiece[],
    ctx: CallContext,
  ): Promise<IngressPiece[]> {
    const present = new Set((await currentPieces(ec2, groupId, ctx)).map(pieceKey));
    const missing = pieces.filter((p) => !present.has(pieceKey(p)));
    if (missing.length > 0) {
      await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: groupId,
          IpPermissions: missing.map(toPermission),
        }),
        {
          abortSignal: ctx.abortSignal,
        },
      );
    }
    return missing;
  }

  /** Revokes each piece present now; returns how many it removed. */
  async function revoke(
    ec2: EC2Client,
    groupId: string,
    pieces: readonly IngressPiece[],
    ctx: CallContext,
  ): Promise<IngressPiece[]> {
    const present = new Set((await currentPieces(ec2, groupId, ctx)).map(pieceKey));
    const there = pieces.filter((p) => present.has(pieceKey(p)));
    if (there.length > 0) {
      // Descriptions are not part of a rule's identity, and a mismatched one makes EC2 refuse the revoke.
      const bare = there.map((p) => toPermission({ ...p, description: undefined }));
      await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: bare }), {
        abortSignal: ctx.abortSignal,
      });
    }
    return there;
  }

  /** Authorises or revokes the pieces not yet in that state, and reports what it did. */
  async function change(
    step: string,
    finding: Finding,
    how: { action: 'authorize' | 'revoke'; label: string; verb: string; nothing: string },
    pieces: readonly IngressPiece[],
    ctx: CallContext,
  ): Promise<StepResult> {
    const groupId = finding.resource.resourceId;
    const ec2 = ec2For(finding);
    return classified(how.label, async () => {
      const done =
        how.action === 'authorize'
          ? await authorize(ec2, groupId, pieces, ctx)
          : await revoke(ec2, groupId, pieces, ctx);
      return {
        step,
        changed: done.length > 0,
        detail: done.length > 0 ? `${how.verb} ${done.map(describePiece).join(', ')}` : how.nothing,
      };
    });
  }

  function planFrom(prior: PriorState): PortClosurePlan {
    const recorded = prior as SecurityGroupPrior;
    return planPortClosure(recorded.ingress, recorded.blockedPorts);
  }

  return {
    async analyze(finding, ctx): Promise<Analysis> {
      const groupId = finding.resource.resourceId;
      const blocked = blockedPortsFor(managedControl(finding), finding.details);
      return classified('analyse security group', async () => {
        const group = await describe(ec2For(finding), groupId, ctx);
        if (!group)
          return {
            verdict: 'no_action',
            reason: `security group ${groupId} no longer exists`,
            plan: [],
            observed: {},
          };
        const plan = planPortClosure(toPieces(group.IpPermissions), blocked);
        const observed = {
          blockedPorts: blocked,
          revoke: plan.revoke,
          add: plan.add,
          needsApproval: plan.needsApproval,
        };
        if (plan.revoke.length === 0) {
          return {
            verdict: 'no_action',
            reason: `${groupId} has no world-open rule on ports ${blocked.join(', ')}`,
            plan: [],
            observed,
          };
        }
        const allProtocol = plan.needsApproval.map(describePiece).join(', ');
        return {
          // Narrowing an all-protocol rule re-opens TCP, UDP and ICMP only: a person decides.
          verdict: plan.needsApproval.length > 0 ? 'needs_approval' : 'remediate',
          reason:
            plan.needsApproval.length > 0
              ? `${groupId} allows ${allProtocol}; closing ports ${blocked.join(', ')} there replaces it with TCP (without those ports), UDP and ICMP, so every other IP protocol loses its world-open access`
              : `${groupId} allows ${plan.revoke.map(describePiece).join(', ')} (blocked ports ${blocked.join(', ')})`,
          plan: [
            ...(plan.add.length > 0
              ? [
                  {
                    step: ADD,
                    description: `AuthorizeSecurityGroupIngress on ${groupId}: ${plan.add.map(describePiece).join(', ')}`,
                  },
                ]
              : []),
            {
              step: REVOKE,
              description: `RevokeSecurityGroupIngress on ${groupId}: ${plan.revoke.map(describePiece).join(', ')}`,
            },
          ],
          observed,
        };
      });
    },

    async capturePriorState(finding, ctx): Promise<SecurityGroupPrior> {
      return classified('record security group ingress', async () => ({
        ingress: await currentPieces(ec2For(finding), finding.resource.resourceId, ctx),
        blockedPorts: blockedPortsFor(managedControl(finding), finding.details),
      }));
    },

    async applyStep(step, finding, prior, ctx): Promise<StepResult> {
      assertKnownStep('sg-close-admin-ports', step, STEPS);
      const plan = planFrom(prior);
      const nothing = 'nothing left to do';
      return step === ADD
        ? change(
            step,
            finding,
            { action: 'authorize', label: 'authorise remaining ports', verb: 'authorised', nothing },
            plan.add,
            ctx,
          )
        : change(
            step,
            finding,
            { action: 'revoke', label: 'revoke world-open admin ports', verb: 'revoked', nothing },
            plan.revoke,
            ctx,
          );
    },

    async compensateStep(step, finding, prior, ctx): Promise<StepResult> {
      assertKnownStep('sg-close-admin-ports', step, STEPS);
      const plan = planFrom(prior);
      const label = `restore ${step}`;
      const nothing = 'already as recorded';
      // Exactly the inverse of the step: remove what was added, authorise what was revoked (with its description).
      return step === ADD
        ? change(step, finding, { action: 'revoke', label, verb: 'revoked', nothing }, plan.add, ctx)
        : change(
            step,
            finding,
            { action: 'authorize', label, verb: 're-authorised', nothing },
            plan.revoke,
            ctx,
          );
    },

    async verify(finding, ctx): Promise<Verification> {
      const groupId = finding.resource.resourceId;
      const blocked = blockedPortsFor(managedControl(finding), finding.details);
      return classified('verify security group', async () => {
        const pieces = await currentPieces(ec2For(finding), groupId, ctx);
        const still = planPortClosure(pieces, blocked);
        const open = [...still.revoke, ...still.needsApproval];
        const passed = open.length === 0;
        return {
          passed,
          detail: passed
            ? `DescribeSecurityGroups ${groupId}: no world-open rule on ports ${blocked.join(', ')}`
            : `DescribeSecurityGroups ${groupId}: still open: ${open.map(describePiece).join(', ')}`,
          observed: { ingress: pieces },
          at: new Date().toISOString(),
        };
      });
    },
  };
}
