/** Conformance setup of `s3-account-public-access-block`: the account's Block Public Access, partly or fully on. */
import { PutPublicAccessBlockCommand, S3ControlClient } from '@aws-sdk/client-s3-control';
import { s3AccountPublicAccessBlock } from '../../../src/playbooks/s3-account-public-access-block';
import { emulatorConfig } from '../../../src/aws/clients';
import { TEST_CREDENTIALS } from '../../helpers/aws';
import { accountFinding } from '../conformance-setup';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';

async function accountBlock(env: ConformanceEnv, all: boolean) {
  const s3control = new S3ControlClient({
    endpoint: env.endpoint,
    region: env.region,
    credentials: TEST_CREDENTIALS,
    ...emulatorConfig('S3ControlClient', env.endpoint),
  });
  try {
    // Partly on (a state worth restoring exactly), or all four.
    await s3control.send(
      new PutPublicAccessBlockCommand({
        AccountId: env.account,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: all,
          BlockPublicPolicy: all,
          RestrictPublicBuckets: all,
        },
      }),
    );
  } finally {
    s3control.destroy();
  }
  return accountFinding(env, 's3-account-level-public-access-blocks-periodic');
}

export const setup: ConformanceSetup = {
  playbook: s3AccountPublicAccessBlock,
  events: ['config-s3-account-public-access-noncompliant.json'],
  nonCompliant: (env) => accountBlock(env, false),
  compliant: (env) => accountBlock(env, true),
};
