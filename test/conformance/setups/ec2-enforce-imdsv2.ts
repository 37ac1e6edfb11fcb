/**
 * Conformance setup of `ec2-enforce-imdsv2`: an instance accepting IMDSv1 with non-default options a partial call
 * would reset (hop limit 3, instance tags in the metadata), and no IMDSv1 calls; or one already requiring IMDSv2.
 */
import { ec2EnforceImdsv2 } from '../../../src/playbooks/ec2-enforce-imdsv2';
import { launchInstance, motoEc2 } from '../../helpers/ec2';
import { resourceFinding } from '../conformance-setup';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';

const finding = (env: ConformanceEnv, instanceId: string) =>
  resourceFinding(env, 'ec2-imdsv2-check', 'AWS::EC2::Instance', instanceId);

async function instance(env: ConformanceEnv, required: boolean) {
  const ec2 = motoEc2(env.endpoint, env.region);
  try {
    const id = await launchInstance(ec2, {
      MetadataOptions: {
        HttpTokens: required ? 'required' : 'optional',
        HttpPutResponseHopLimit: 3,
        HttpEndpoint: 'enabled',
        InstanceMetadataTags: 'enabled',
      },
    });
    return finding(env, id);
  } finally {
    ec2.destroy();
  }
}

export const setup: ConformanceSetup = {
  playbook: ec2EnforceImdsv2,
  events: ['config-ec2-imdsv2-noncompliant.json', 'securityhub-ec2.8-failed.json'],
  nonCompliant: (env) => instance(env, false),
  compliant: (env) => instance(env, true),
  gone: (env) => finding(env, 'i-0123456789abcdef0'),
};
