/** Conformance setup of `iam-password-policy`: the account's password policy, weak or already strict. */
import { IAMClient, UpdateAccountPasswordPolicyCommand } from '@aws-sdk/client-iam';
import { iamPasswordPolicy } from '../../../src/playbooks/iam-password-policy';
import { TEST_CREDENTIALS } from '../../helpers/aws';
import { accountFinding } from '../conformance-setup';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';

async function policy(env: ConformanceEnv, strict: boolean) {
  const iam = new IAMClient({ endpoint: env.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS });
  try {
    // Weak: 8 characters, two classes, no expiry, no reuse prevention; strict: more than the defaults ask for.
    await iam.send(
      new UpdateAccountPasswordPolicyCommand(
        strict
          ? {
              MinimumPasswordLength: 16,
              RequireSymbols: true,
              RequireNumbers: true,
              RequireUppercaseCharacters: true,
              RequireLowercaseCharacters: true,
              AllowUsersToChangePassword: true,
              MaxPasswordAge: 60,
              PasswordReusePrevention: 24,
            }
          : { MinimumPasswordLength: 8, RequireNumbers: true, RequireLowercaseCharacters: true },
      ),
    );
  } finally {
    iam.destroy();
  }
  return accountFinding(env, 'iam-password-policy');
}

export const setup: ConformanceSetup = {
  playbook: iamPasswordPolicy,
  events: ['config-iam-password-policy-noncompliant.json'],
  nonCompliant: (env) => policy(env, false),
  compliant: (env) => policy(env, true),
};
