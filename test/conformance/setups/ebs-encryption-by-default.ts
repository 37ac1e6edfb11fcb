/** Conformance setup of `ebs-encryption-by-default`: the account setting of the fixture region, off or on. */
import {
  DisableEbsEncryptionByDefaultCommand,
  EC2Client,
  EnableEbsEncryptionByDefaultCommand,
} from '@aws-sdk/client-ec2';
import { ebsEncryptionByDefault } from '../../../src/playbooks/ebs-encryption-by-default';
import { TEST_CREDENTIALS } from '../../helpers/aws';
import { accountFinding } from '../conformance-setup';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';

async function setTo(env: ConformanceEnv, on: boolean) {
  const ec2 = new EC2Client({ endpoint: env.endpoint, region: env.region, credentials: TEST_CREDENTIALS });
  try {
    await ec2.send(
      on ? new EnableEbsEncryptionByDefaultCommand({}) : new DisableEbsEncryptionByDefaultCommand({}),
    );
  } finally {
    ec2.destroy();
  }
  return accountFinding(env, 'ec2-ebs-encryption-by-default');
}

export const setup: ConformanceSetup = {
  playbook: ebsEncryptionByDefault,
  events: ['config-ebs-encryption-by-default-noncompliant.json'],
  nonCompliant: (env) => setTo(env, false),
  compliant: (env) => setTo(env, true),
};
