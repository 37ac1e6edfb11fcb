/**
 * Conformance setup of `iam-access-key-rotation`: an IAM user with an active and an inactive access key, or with an
 * inactive key only. moto dates a key at its creation and has no way to backdate one, so the limit is 0 days: every
 * active key is past it. The non-compliant finding names the user by its user id (as Config does), the compliant one
 * by its name (as Security Hub's ARN does). Only key ids are kept: the secret CreateAccessKey returns is dropped.
 */
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { iamAccessKeyRotation } from '../../../src/playbooks/iam-access-key-rotation';
import { TEST_CREDENTIALS } from '../../helpers/aws';
import { resourceFinding } from '../conformance-setup';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';

const finding = (env: ConformanceEnv, userIdOrName: string) =>
  resourceFinding(env, 'access-keys-rotated', 'AWS::IAM::User', userIdOrName);

async function user(env: ConformanceEnv, activeKey: boolean) {
  const iam = new IAMClient({ endpoint: env.endpoint, region: env.region, credentials: TEST_CREDENTIALS });
  try {
    const UserName = `${env.unique}-deployer`;
    const created = (await iam.send(new CreateUserCommand({ UserName, Path: '/ci/' }))).User!;
    const keyId = async () =>
      (await iam.send(new CreateAccessKeyCommand({ UserName }))).AccessKey!.AccessKeyId!;
    if (activeKey) await keyId();
    await iam.send(new UpdateAccessKeyCommand({ UserName, AccessKeyId: await keyId(), Status: 'Inactive' }));
    return finding(env, activeKey ? created.UserId! : UserName);
  } finally {
    iam.destroy();
  }
}

export const setup: ConformanceSetup = {
  playbook: iamAccessKeyRotation,
  options: { maxAccessKeyAgeDays: 0 },
  // moto's keys are new: without the 0-day limit nothing is overdue, end to end as well.
  optionsEndToEnd: true,
  events: ['config-access-keys-rotated-noncompliant.json', 'securityhub-iam.3-failed.json'],
  nonCompliant: (env) => user(env, true),
  compliant: (env) => user(env, false),
  gone: (env) => finding(env, 'AIDAZZZZZZZZZZZZZZZZZ'),
};
