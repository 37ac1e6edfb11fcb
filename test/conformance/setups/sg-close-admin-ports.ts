/**
 * Conformance setup of `sg-close-admin-ports` (Config `restricted-ssh`: port 22): a security group with every TCP port
 * open to the IPv4 world (described, so a restore must bring the description back), SSH open to the IPv6 world, and
 * rules that stay (SSH from a private range, HTTPS and DNS from anywhere); or with only the rules that stay. The fix
 * re-opens the wide rule's other ports, then revokes both world-open pieces on port 22.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import type { IpPermission } from '@aws-sdk/client-ec2';
import { sgCloseAdminPorts } from '../../../src/playbooks/sg-close-admin-ports';
import { TEST_CREDENTIALS } from '../../helpers/aws';
import { resourceFinding } from '../conformance-setup';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';

const finding = (env: ConformanceEnv, groupId: string) =>
  resourceFinding(env, 'restricted-ssh', 'AWS::EC2::SecurityGroup', groupId);

/** Rules no blocked port of any of the events' controls is open to the world through. */
const KEPT: IpPermission[] = [
  {
    IpProtocol: 'tcp',
    FromPort: 22,
    ToPort: 22,
    IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'bastion' }],
  },
  { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
  { IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'dns' }] },
];

/** World-open: every TCP port over IPv4 (split around the blocked ports), SSH over IPv6 (revoked outright). */
const OPEN: IpPermission[] = [
  {
    IpProtocol: 'tcp',
    FromPort: 0,
    ToPort: 65535,
    IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'legacy open' }],
  },
  { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
];

async function group(env: ConformanceEnv, open: boolean) {
  const ec2 = new EC2Client({ endpoint: env.endpoint, region: env.region, credentials: TEST_CREDENTIALS });
  try {
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: `${env.unique}-admin`, Description: 'admin ports' }),
    );
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId,
        IpPermissions: open ? [...OPEN, ...KEPT] : KEPT,
      }),
    );
    return finding(env, GroupId!);
  } finally {
    ec2.destroy();
  }
}

export const setup: ConformanceSetup = {
  playbook: sgCloseAdminPorts,
  events: [
    'config-restricted-ssh-noncompliant.json',
    'securityhub-ec2.13-failed.json',
    'securityhub-ec2.19-failed.json',
  ],
  nonCompliant: (env) => group(env, true),
  compliant: (env) => group(env, false),
  gone: (env) => finding(env, 'sg-0123456789abcdef0'),
};
