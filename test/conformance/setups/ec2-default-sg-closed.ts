/**
 * Conformance setup of `ec2-default-sg-closed`: the default security group of a fresh dual-stack VPC, with inbound
 * rules of every source kind (itself, an IPv4 and an IPv6 range, a prefix list; with and without descriptions) and
 * outbound rules besides the default ones, or with every rule removed.
 */
import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateManagedPrefixListCommand,
  CreateVpcCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  RevokeSecurityGroupEgressCommand,
} from '@aws-sdk/client-ec2';
import { ec2DefaultSgClosed } from '../../../src/playbooks/ec2-default-sg-closed';
import { TEST_CREDENTIALS } from '../../helpers/aws';
import { resourceFinding } from '../conformance-setup';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';

const finding = (env: ConformanceEnv, groupId: string) =>
  resourceFinding(env, 'vpc-default-security-group-closed', 'AWS::EC2::SecurityGroup', groupId);

async function defaultGroup(env: ConformanceEnv, open: boolean) {
  const ec2 = new EC2Client({ endpoint: env.endpoint, region: env.region, credentials: TEST_CREDENTIALS });
  try {
    const vpc = (
      await ec2.send(new CreateVpcCommand({ CidrBlock: '10.30.0.0/16', AmazonProvidedIpv6CidrBlock: true }))
    ).Vpc!.VpcId!;
    const group = (
      await ec2.send(
        new DescribeSecurityGroupsCommand({
          Filters: [
            { Name: 'vpc-id', Values: [vpc] },
            { Name: 'group-name', Values: ['default'] },
          ],
        }),
      )
    ).SecurityGroups![0]!;
    const GroupId = group.GroupId!;
    if (!open) {
      if (group.IpPermissionsEgress?.length) {
        await ec2.send(
          new RevokeSecurityGroupEgressCommand({ GroupId, IpPermissions: group.IpPermissionsEgress }),
        );
      }
      return finding(env, GroupId);
    }
    const prefixList = (
      await ec2.send(
        new CreateManagedPrefixListCommand({
          PrefixListName: `${env.unique}-offices`,
          AddressFamily: 'IPv4',
          MaxEntries: 5,
          Entries: [{ Cidr: '192.0.2.0/24', Description: 'office' }],
        }),
      )
    ).PrefixList!.PrefixListId!;
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId,
        IpPermissions: [
          { IpProtocol: '-1', UserIdGroupPairs: [{ GroupId, Description: 'members of the group' }] },
          {
            IpProtocol: 'tcp',
            FromPort: 443,
            ToPort: 443,
            IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'https' }],
          },
          { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, Ipv6Ranges: [{ CidrIpv6: '2001:db8::/32' }] },
          { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5433, PrefixListIds: [{ PrefixListId: prefixList }] },
        ],
      }),
    );
    await ec2.send(
      new AuthorizeSecurityGroupEgressCommand({
        GroupId,
        IpPermissions: [
          {
            IpProtocol: 'udp',
            FromPort: 53,
            ToPort: 53,
            IpRanges: [{ CidrIp: '10.30.0.2/32', Description: 'dns' }],
          },
        ],
      }),
    );
    return finding(env, GroupId);
  } finally {
    ec2.destroy();
  }
}

export const setup: ConformanceSetup = {
  playbook: ec2DefaultSgClosed,
  events: ['config-vpc-default-security-group-closed-noncompliant.json', 'securityhub-ec2.2-failed.json'],
  nonCompliant: (env) => defaultGroup(env, true),
  compliant: (env) => defaultGroup(env, false),
  gone: (env) => finding(env, 'sg-0123456789abcdef0'),
};
