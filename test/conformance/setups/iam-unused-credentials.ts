/**
 * Conformance setup of `iam-unused-credentials`: an IAM user with two active access keys (one used once, one never)
 * and a console password, or with an inactive key only. moto dates keys and their use at the moment they happen and
 * cannot backdate either, so the limit is 0 days: every active key counts as unused. The password is left alone:
 * `removeUnusedPasswords` stays at its default (off), so the fix is exactly reversible. The non-compliant finding
 * names the user by its user id (as Config does), the compliant one by its name (as Security Hub's ARN does).
 *
 * Secrets: the password is random and never kept; a key's secret is used only to sign the one request that gives the
 * key a last-used date, and is then dropped.
 */
import {
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateUserCommand,
  GetUserCommand,
  IAMClient,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { randomBytes } from 'node:crypto';
import { iamUnusedCredentials } from '../../../src/playbooks/iam-unused-credentials';
import { TEST_CREDENTIALS } from '../../helpers/aws';
import { resourceFinding } from '../conformance-setup';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';

const finding = (env: ConformanceEnv, userIdOrName: string) =>
  resourceFinding(env, 'iam-user-unused-credentials-check', 'AWS::IAM::User', userIdOrName);

async function user(env: ConformanceEnv, unused: boolean) {
  const config = { endpoint: env.endpoint, region: env.region };
  const iam = new IAMClient({ ...config, credentials: TEST_CREDENTIALS });
  try {
    const UserName = `${env.unique}-reader`;
    const created = (await iam.send(new CreateUserCommand({ UserName, Path: '/contractors/' }))).User!;
    if (!unused) {
      const key = (await iam.send(new CreateAccessKeyCommand({ UserName }))).AccessKey!;
      await iam.send(
        new UpdateAccessKeyCommand({ UserName, AccessKeyId: key.AccessKeyId!, Status: 'Inactive' }),
      );
      return finding(env, UserName);
    }
    const used = (await iam.send(new CreateAccessKeyCommand({ UserName }))).AccessKey!;
    const asKey = new IAMClient({
      ...config,
      credentials: { accessKeyId: used.AccessKeyId!, secretAccessKey: used.SecretAccessKey! },
    });
    try {
      await asKey.send(new GetUserCommand({}));
    } finally {
      asKey.destroy();
    }
    await iam.send(new CreateAccessKeyCommand({ UserName }));
    await iam.send(
      new CreateLoginProfileCommand({ UserName, Password: `Aa1!${randomBytes(18).toString('base64url')}` }),
    );
    return finding(env, created.UserId!);
  } finally {
    iam.destroy();
  }
}

export const setup: ConformanceSetup = {
  playbook: iamUnusedCredentials,
  options: { maxCredentialUsageAgeDays: 0 },
  // moto's keys are new: without the 0-day limit nothing is overdue, end to end as well.
  optionsEndToEnd: true,
  events: ['config-iam-user-unused-credentials-noncompliant.json', 'securityhub-iam.8-failed.json'],
  nonCompliant: (env) => user(env, true),
  compliant: (env) => user(env, false),
  gone: (env) => finding(env, 'AIDAZZZZZZZZZZZZZZZZZ'),
};
