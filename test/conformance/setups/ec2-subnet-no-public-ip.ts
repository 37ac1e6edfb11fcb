/** Conformance setup of `ec2-subnet-no-public-ip`: a subnet of a fresh VPC, auto-assigning public IPv4 or not. */
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
  ModifySubnetAttributeCommand,
} from '@aws-sdk/client-ec2';
import { ec2SubnetNoPublicIp } from '../../../src/playbooks/ec2-subnet-no-public-ip';
import { TEST_CREDENTIALS } from '../../helpers/aws';
import { resourceFinding } from '../conformance-setup';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';

const finding = (env: ConformanceEnv, subnetId: string) =>
  resourceFinding(env, 'subnet-auto-assign-public-ip-disabled', 'AWS::EC2::Subnet', subnetId);

async function subnet(env: ConformanceEnv, publicIps: boolean) {
  const ec2 = new EC2Client({ endpoint: env.endpoint, region: env.region, credentials: TEST_CREDENTIALS });
  try {
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }))).Vpc!.VpcId!;
    const id = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.20.1.0/24' }))).Subnet!
      .SubnetId!;
    await ec2.send(
      new ModifySubnetAttributeCommand({ SubnetId: id, MapPublicIpOnLaunch: { Value: publicIps } }),
    );
    return finding(env, id);
  } finally {
    ec2.destroy();
  }
}

export const setup: ConformanceSetup = {
  playbook: ec2SubnetNoPublicIp,
  events: ['config-subnet-public-ip-noncompliant.json', 'securityhub-ec2.15-failed.json'],
  nonCompliant: (env) => subnet(env, true),
  compliant: (env) => subnet(env, false),
  gone: (env) => finding(env, 'subnet-0123456789abcdef0'),
};
