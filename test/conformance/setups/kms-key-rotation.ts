/** Conformance setup of `kms-key-rotation`: a symmetric customer managed key, rotation off or on. */
import { CreateKeyCommand, EnableKeyRotationCommand, KMSClient } from '@aws-sdk/client-kms';
import { randomUUID } from 'node:crypto';
import { kmsKeyRotation } from '../../../src/playbooks/kms-key-rotation';
import { TEST_CREDENTIALS } from '../../helpers/aws';
import { resourceFinding } from '../conformance-setup';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';

const finding = (env: ConformanceEnv, keyId: string) =>
  resourceFinding(env, 'cmk-backing-key-rotation-enabled', 'AWS::KMS::Key', keyId);

async function key(env: ConformanceEnv, rotating: boolean) {
  const kms = new KMSClient({ endpoint: env.endpoint, region: env.region, credentials: TEST_CREDENTIALS });
  try {
    const keyId = (await kms.send(new CreateKeyCommand({ Description: env.unique }))).KeyMetadata!.KeyId!;
    if (rotating) await kms.send(new EnableKeyRotationCommand({ KeyId: keyId }));
    return finding(env, keyId);
  } finally {
    kms.destroy();
  }
}

export const setup: ConformanceSetup = {
  playbook: kmsKeyRotation,
  events: ['config-kms-key-rotation-noncompliant.json', 'securityhub-kms.4-failed.json'],
  nonCompliant: (env) => key(env, false),
  compliant: (env) => key(env, true),
  gone: (env) => finding(env, randomUUID()),
};
