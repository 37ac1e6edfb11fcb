/**
 * Playbook `iam-unused-credentials`: an IAM user's credentials unused for longer than the limit are switched off
 * (Config `iam-user-unused-credentials-check`, source IAM_USER_UNUSED_CREDENTIALS_CHECK, periodic, parameter
 * `maxCredentialUsageAge` 90, on `AWS::IAM::User`; Security Hub IAM.8). The user is found by name or user id as in
 * `iam-access-key-rotation`.
 *
 * Unused: last used (GetAccessKeyLastUsed `LastUsedDate`; the user's `PasswordLastUsed`) longer ago than the limit,
 * or never used and created longer ago than that. A password set after the last sign-in counts from when it was set
 * (`PasswordLastUsed` outlives a password that was replaced).
 *
 * 1. `deactivate-unused-access-keys`: UpdateAccessKey Status=Inactive for each unused active key (never deleted);
 *    undone by making those keys active again.
 * 2. `delete-unused-console-password`: DeleteLoginProfile of an unused console password. **It cannot be undone**: a
 *    new password would be another credential, so its undo changes nothing and says so. It runs only when the policy
 *    sets `removeUnusedPasswords: true`, and then asks for approval first. Without that option the playbook only
 *    deactivates keys: an unused password is mentioned in the description, never removed or escalated, and the
 *    configuration fix stays exactly reversible.
 *
 * Automatic by default otherwise: a key nobody used for the limit's length breaks nothing that runs more often.
 * The state holds key ids, statuses and dates only: secrets are never read.
 *
 * Options (policy `playbooks.iam-unused-credentials.options`): `maxCredentialUsageAgeDays` (default 90, as the rule's
 * `maxCredentialUsageAge`), `removeUnusedPasswords` (default false). Any other value is escalated.
 */
import {
  DeleteLoginProfileCommand,
  GetAccessKeyLastUsedCommand,
  GetLoginProfileCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { z } from 'zod';
import { isNotFound } from '../activities/aws-errors';
import { definePlaybook } from '../kit/playbook-kit';
import type { KitIo } from '../kit/playbook-kit';
import {
  accessKeyRecord,
  accessKeysOf,
  daysOption,
  daysSince,
  findIamUser,
  IAM_USER_ID_PATTERN,
  olderThan,
  reactivateKeys,
  setKeyStatus,
} from './shared/iam-users';

const accessKey = accessKeyRecord.extend({
  /** ISO 8601; null: never used. */
  lastUsedDate: z.string().nullable(),
  /** Unused for longer than the limit when it was read (recorded: undo puts back exactly the keys the fix took). */
  unused: z.boolean(),
});
type AccessKey = z.infer<typeof accessKey>;

const state = z.object({
  userName: z.string(),
  userId: z.string(),
  /** The limit the read judged against (the policy's `maxCredentialUsageAgeDays`, or 90). */
  maxCredentialUsageAgeDays: z.number(),
  accessKeys: z.array(accessKey),
  /** The console password (login profile): when it was set, or null when the user has none. */
  loginProfile: z.object({ createDate: z.string().nullable() }).nullable(),
  /** The user's last console sign-in (ISO 8601), or null: never, or not known. */
  passwordLastUsed: z.string().nullable(),
});
type State = z.infer<typeof state>;

/** Active keys not used within the limit (never used: created before it). */
const unusedKeys = (s: State): AccessKey[] => s.accessKeys.filter((k) => k.status === 'Active' && k.unused);
const ids = (keys: readonly AccessKey[]) => keys.map((k) => k.accessKeyId);

/** When the console password was last used or, if later, set; null without a password or a date. */
function passwordActivity(s: State): string | null {
  if (!s.loginProfile) return null;
  const dates = [s.loginProfile.createDate, s.passwordLastUsed].filter((d): d is string => d !== null);
  return dates.length === 0 ? null : dates.reduce((a, b) => (Date.parse(a) >= Date.parse(b) ? a : b));
}
const passwordUnused = (s: State) => olderThan(passwordActivity(s), s.maxCredentialUsageAgeDays);

const removesPasswords = (io: KitIo) => io.options['removeUnusedPasswords'] === true;

/** Why the policy's options cannot be used, or `undefined`. */
function optionProblem(io: KitIo): string | undefined {
  if (daysOption(io, 'maxCredentialUsageAgeDays') === undefined) {
    return `option maxCredentialUsageAgeDays is ${JSON.stringify(io.options['maxCredentialUsageAgeDays'])}, not a number of days ≥ 0`;
  }
  const remove = io.options['removeUnusedPasswords'];
  return remove === undefined || typeof remove === 'boolean'
    ? undefined
    : `option removeUnusedPasswords is ${JSON.stringify(remove)}, not true or false`;
}

/** What step 2 would do, or `undefined`: only with `removeUnusedPasswords`, and only for an unused password. */
function passwordPlan(s: State, io: KitIo): string | undefined {
  if (!removesPasswords(io) || !passwordUnused(s)) return undefined;
  return `DeleteLoginProfile for ${s.userName}: console password unused for ${s.maxCredentialUsageAgeDays}+ days (cannot be restored)`;
}

export const iamUnusedCredentials = definePlaybook({
  id: 'iam-unused-credentials',
  title: "Switch off an IAM user's credentials unused for longer than the limit",
  kind: 'configuration',
  defaultMode: 'auto',
  // Every IAM write is the iam-containment role's (docs/deployment.md, Roles per playbook family).
  roleFamily: 'iam-containment',
  resource: { type: 'AWS::IAM::User', idPattern: IAM_USER_ID_PATTERN, securityHubType: 'AwsIamUser' },
  defaultSeverity: 5,
  triggers: {
    configRules: {
      'iam-user-unused-credentials-check': {
        identifier: 'IAM_USER_UNUSED_CREDENTIALS_CHECK',
        periodic: true,
      },
    },
    securityHubControls: ['IAM.8'],
  },
  iamActions: [
    'iam:GetUser',
    'iam:ListUsers',
    'iam:ListAccessKeys',
    'iam:GetAccessKeyLastUsed',
    'iam:GetLoginProfile',
    'iam:UpdateAccessKey',
    'iam:DeleteLoginProfile',
  ],
  state,

  async read(io) {
    const iam = io.client(IAMClient);
    const { abortSignal } = io;
    try {
      const user = await findIamUser(iam, io.resource.resourceId, abortSignal);
      if (!user?.UserName) return undefined;
      const limit = daysOption(io, 'maxCredentialUsageAgeDays') ?? 90;
      const accessKeys: AccessKey[] = [];
      for (const k of await accessKeysOf(iam, user.UserName, abortSignal)) {
        const accessKeyId = k.AccessKeyId ?? '';
        let lastUsed;
        try {
          lastUsed = (
            await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }), { abortSignal })
          ).AccessKeyLastUsed;
        } catch (err) {
          // Deleted since it was listed.
          if (isNotFound(err)) continue;
          throw err;
        }
        const createDate = k.CreateDate?.toISOString() ?? null;
        // A key never used has no LastUsedDate (ServiceName and Region `N/A`): its age counts from its creation.
        const lastUsedDate = lastUsed?.LastUsedDate?.toISOString() ?? null;
        accessKeys.push({
          accessKeyId,
          status: k.Status ?? 'Unknown',
          createDate,
          lastUsedDate,
          unused: olderThan(lastUsedDate ?? createDate, limit),
        });
      }
      let loginProfile: State['loginProfile'] = null;
      try {
        const profile = (
          await iam.send(new GetLoginProfileCommand({ UserName: user.UserName }), { abortSignal })
        ).LoginProfile;
        loginProfile = profile ? { createDate: profile.CreateDate?.toISOString() ?? null } : null;
      } catch (err) {
        // NoSuchEntity: no console password.
        if (!isNotFound(err)) throw err;
      }
      return {
        userName: user.UserName,
        userId: user.UserId ?? '',
        maxCredentialUsageAgeDays: limit,
        accessKeys,
        loginProfile,
        passwordLastUsed: user.PasswordLastUsed?.toISOString() ?? null,
      };
    } catch (err) {
      // NoSuchEntity while listing the keys: the user was deleted.
      if (isNotFound(err)) return undefined;
      throw err;
    }
  },
  describe(s) {
    const keys = s.accessKeys.map(
      (k) =>
        `${k.accessKeyId} ${k.status}, ${k.lastUsedDate ? `last used ${daysSince(k.lastUsedDate)} days ago` : 'never used'}`,
    );
    const activity = passwordActivity(s);
    const password = !s.loginProfile
      ? 'no console password'
      : passwordUnused(s)
        ? `console password unused for ${s.maxCredentialUsageAgeDays}+ days (removed only when the policy sets removeUnusedPasswords)`
        : `console password ${activity ? `used or set ${daysSince(activity)} days ago` : 'of unknown use'}`;
    return `user ${s.userName}: ${keys.length ? keys.join('; ') : 'no access keys'}; ${unusedKeys(s).length} active unused for ${s.maxCredentialUsageAgeDays}+ days; ${password}`;
  },
  cannotFix: (_s, io) => optionProblem(io),
  needsApproval(s, io) {
    return passwordPlan(s, io) === undefined
      ? undefined
      : 'deleting the console password cannot be undone (a new password would be a different credential)';
  },

  steps: [
    {
      id: 'deactivate-unused-access-keys',
      title: 'UpdateAccessKey Status=Inactive for each active key unused for longer than the limit',
      onFailure: 'compensate',
      plan(s, io) {
        // A policy value that cannot be used is escalated (cannotFix), never read as the default.
        const problem = optionProblem(io);
        if (problem !== undefined) return `nothing until the policy is fixed: ${problem}`;
        const keys = unusedKeys(s);
        return keys.length === 0
          ? undefined
          : `UpdateAccessKey Status=Inactive on ${ids(keys).join(', ')} of ${s.userName} (unused for ${s.maxCredentialUsageAgeDays}+ days; not deleted)`;
      },
      async apply(io, current) {
        const problem = optionProblem(io);
        if (problem !== undefined) return { changed: false, detail: problem };
        const keys = ids(unusedKeys(current));
        await setKeyStatus(io, current.userName, keys, 'Inactive');
        return { changed: true, detail: `deactivated ${keys.join(', ')} of ${current.userName}` };
      },
      async undo(io, prior, current) {
        // The keys the step deactivated: recorded active and unused.
        return reactivateKeys(io, ids(unusedKeys(prior)), current);
      },
    },
    {
      id: 'delete-unused-console-password',
      title:
        'DeleteLoginProfile of an unused console password (removeUnusedPasswords only; cannot be undone)',
      onFailure: 'compensate',
      plan: passwordPlan,
      async apply({ client, abortSignal }, current) {
        try {
          await client(IAMClient).send(new DeleteLoginProfileCommand({ UserName: current.userName }), {
            abortSignal,
          });
        } catch (err) {
          if (isNotFound(err)) return { changed: false, detail: 'no console password any more' };
          throw err;
        }
        return { changed: true, detail: `console password of ${current.userName} deleted` };
      },
      /**
       * Changes nothing: a deleted password cannot be restored (CreateLoginProfile would set a new one, a different
       * credential that someone would have to hand over). Says so when there was one to restore.
       */
      undo(_io, prior, current) {
        const lost = prior.loginProfile !== null && current.loginProfile === null;
        return Promise.resolve({
          changed: false,
          detail: lost
            ? `cannot be restored: the console password of ${current.userName} was deleted; set a new one (CreateLoginProfile) if the user needs the console`
            : 'nothing to restore: the console password is as recorded',
        });
      },
    },
  ],
});
