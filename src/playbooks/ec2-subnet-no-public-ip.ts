/**
 * Playbook `ec2-subnet-no-public-ip`: a subnet stops giving new instances a public IPv4 address by default (Config
 * `subnet-auto-assign-public-ip-disabled`, source SUBNET_AUTO_ASSIGN_PUBLIC_IP_DISABLED, on `AWS::EC2::Subnet`;
 * Security Hub EC2.15). Instances already running keep their addresses. Approval by default: a workload that
 * launches into the subnet and reaches the internet through its public address (no NAT) would lose that.
 */
import { DescribeSubnetsCommand, EC2Client, ModifySubnetAttributeCommand } from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { isNotFound } from '../activities/aws-errors';
import { definePlaybook } from '../kit/playbook-kit';

export const ec2SubnetNoPublicIp = definePlaybook({
  id: 'ec2-subnet-no-public-ip',
  title: 'Stop a subnet from auto-assigning public IPv4 addresses',
  kind: 'configuration',
  defaultMode: 'approve',
  roleFamily: 'configuration',
  resource: {
    type: 'AWS::EC2::Subnet',
    idPattern: /^subnet-[0-9a-f]{8,17}$/,
    securityHubType: 'AwsEc2Subnet',
  },
  defaultSeverity: 5,
  triggers: {
    configRules: {
      'subnet-auto-assign-public-ip-disabled': { identifier: 'SUBNET_AUTO_ASSIGN_PUBLIC_IP_DISABLED' },
    },
    securityHubControls: ['EC2.15'],
  },
  iamActions: ['ec2:DescribeSubnets', 'ec2:ModifySubnetAttribute'],
  state: z.object({ mapPublicIpOnLaunch: z.boolean() }),

  async read({ client, resource, abortSignal }) {
    try {
      const out = await client(EC2Client).send(
        new DescribeSubnetsCommand({ SubnetIds: [resource.resourceId] }),
        {
          abortSignal,
        },
      );
      const subnet = out.Subnets?.[0];
      return subnet ? { mapPublicIpOnLaunch: subnet.MapPublicIpOnLaunch === true } : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  },
  describe: (s) => `auto-assign public IPv4 is ${s.mapPublicIpOnLaunch ? 'on' : 'off'}`,

  steps: [
    {
      id: 'disable-public-ip-auto-assign',
      title: 'ModifySubnetAttribute MapPublicIpOnLaunch=false',
      onFailure: 'compensate',
      plan: (s, { resource }) =>
        s.mapPublicIpOnLaunch
          ? `ModifySubnetAttribute MapPublicIpOnLaunch=false on ${resource.resourceId}`
          : undefined,
      async apply({ client, resource, abortSignal }) {
        await client(EC2Client).send(
          new ModifySubnetAttributeCommand({
            SubnetId: resource.resourceId,
            MapPublicIpOnLaunch: { Value: false },
          }),
          { abortSignal },
        );
        return { changed: true, detail: 'MapPublicIpOnLaunch=false' };
      },
      async undo({ client, resource, abortSignal }, prior, current) {
        if (!prior.mapPublicIpOnLaunch || current.mapPublicIpOnLaunch) {
          return { changed: false, detail: 'already as recorded' };
        }
        await client(EC2Client).send(
          new ModifySubnetAttributeCommand({
            SubnetId: resource.resourceId,
            MapPublicIpOnLaunch: { Value: true },
          }),
          { abortSignal },
        );
        return { changed: true, detail: 'MapPublicIpOnLaunch=true (as it was)' };
      },
    },
  ],
});
