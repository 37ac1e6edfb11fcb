/**
 * Conformance setup of `iam-contain-access-key`: an active long-term key (`AKIA…`) of an IAM user, contained with the
 * option `denyOlderSessions` (so the user deny is applied, verified and rolled back too), or an inactive one. The
 * non-compliant key belongs to `ci-deployer`, the user the GuardDuty fixture names (the end-to-end test replaces only
 * the key id in it): the user's earlier keys and deny are removed first (IAM allows two keys a user). Only key ids are
 * kept: the secret CreateAccessKey returns is dropped.
 */
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { DENY_POLICY_NAME, iamContainAccessKey } from '../../../src/playbooks/iam-contain-access-key';
import { guardDutyFinding } from '../../helpers/fixtures';
import { TEST_CREDENTIALS } from '../../helpers/aws';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';

/** The user the fixture `guardduty-iam-user-access-key.json` names. */
const FIXTURE_USER = 'ci-deployer';

const finding = (env: ConformanceEnv, accessKeyId: string, userName: string) =>
  guardDutyFinding('AWS::IAM::AccessKey', accessKeyId, {
    control: 'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom',
    resource: {
      account: env.account,
      region: 'global',
      resourceType: 'AWS::IAM::AccessKey',
      resourceId: accessKeyId,
    },
    eventId: `evt-${env.unique}`,
    details: {
      guardDutyFindingId: `gd-${env.unique}`,
      resourceRole: 'TARGET',
      accessKeyId,
      userName,
      userType: 'IAMUser',
    },
  });

/** Ignores IAM's `code` error (the SDK names it `<code>Exception`). */
const ignoring = (code: string) => (err: Error) => {
  if (err.name !== code && err.name !== `${code}Exception`) throw err;
};

async function key(env: ConformanceEnv, active: boolean) {
  const iam = new IAMClient({ endpoint: env.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS });
  try {
    const UserName = active ? FIXTURE_USER : `${env.unique}-deployer`;
    await iam.send(new CreateUserCommand({ UserName })).catch(ignoring('EntityAlreadyExists'));
    // Earlier cases' keys and deny on the shared user: this case starts from a user with none.
    for (const k of (await iam.send(new ListAccessKeysCommand({ UserName }))).AccessKeyMetadata ?? []) {
      await iam.send(new DeleteAccessKeyCommand({ UserName, AccessKeyId: k.AccessKeyId }));
    }
    await iam
      .send(new DeleteUserPolicyCommand({ UserName, PolicyName: DENY_POLICY_NAME }))
      .catch(ignoring('NoSuchEntity'));
    const AccessKeyId = (await iam.send(new CreateAccessKeyCommand({ UserName }))).AccessKey!.AccessKeyId!;
    if (!active) await iam.send(new UpdateAccessKeyCommand({ UserName, AccessKeyId, Status: 'Inactive' }));
    return finding(env, AccessKeyId, UserName);
  } finally {
    iam.destroy();
  }
}

export const setup: ConformanceSetup = {
  // Every non-compliant key belongs to the fixture's user, which keeps one key: the earlier one is deleted.
  oneAtATime: true,
  playbook: iamContainAccessKey,
  options: { denyOlderSessions: true },
  events: ['guardduty-iam-user-access-key.json'],
  nonCompliant: (env) => key(env, true),
  compliant: (env) => key(env, false),
  gone: (env) => finding(env, 'AKIAZZZZZZZZZZZZZZZZ', `${env.unique}-deployer`),
};
