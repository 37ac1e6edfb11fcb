/**
 * Playbook `iam-access-key-rotation`: an IAM user's active access keys older than the limit are deactivated, never
 * deleted (Config `access-keys-rotated`, source ACCESS_KEYS_ROTATED, periodic, parameter `maxAccessKeyAge` 90, on
 * `AWS::IAM::User`; Security Hub IAM.3). Rotating means a new key for whatever uses the old one, which only its owner
 * can hand over; what the remediator can do is stop the old key working, so its owner has to rotate. Approval by
 * default: a deactivated key in use breaks whatever uses it. Rollback makes the keys it deactivated active again
 * (those recorded `Active` and past the limit); any other key is left as it is, so a key deactivated meanwhile for
 * another reason (a containment) is not switched back on unless it was one of them.
 *
 * The user: Config names it by its user id (`AIDA…`, docs/catalogue-identifiers.md §5), Security Hub by its ARN
 * (`arn:aws:iam::<acct>:user/[path/]<name>`, which ingest turns into the name). Either is accepted: a name is read
 * with GetUser; an `AIDA…` id, or anything GetUser does not know, is looked up among ListUsers' user ids (every
 * page); not found ⇒ gone. A Config and a Security Hub finding about one user thus name it differently. The state holds key ids, statuses and dates only: a secret access key is never read.
 *
 * Options (policy `playbooks.iam-access-key-rotation.options`): `maxAccessKeyAgeDays` (default 90, as the rule's
 * `maxAccessKeyAge`; any other value than a number ≥ 0 is escalated).
 */
import { IAMClient } from '@aws-sdk/client-iam';
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
  /**
   * Older than the limit when it was read. Recorded, so that undo puts back exactly the keys the fix took (a key
   * that grew old later, and was switched off by someone else, stays off).
   */
  overLimit: z.boolean(),
});
type AccessKey = z.infer<typeof accessKey>;

const state = z.object({
  userName: z.string(),
  userId: z.string(),
  /** The limit the read judged against (the policy's `maxAccessKeyAgeDays`, or 90). */
  maxAccessKeyAgeDays: z.number(),
  accessKeys: z.array(accessKey),
});
type State = z.infer<typeof state>;

/** The keys the fix deactivates: active, and created longer ago than the limit. */
const overdue = (s: State): AccessKey[] => s.accessKeys.filter((k) => k.status === 'Active' && k.overLimit);
const ids = (keys: readonly AccessKey[]) => keys.map((k) => k.accessKeyId);

/** Why the policy's options cannot be used, or `undefined`. */
const optionProblem = (io: KitIo) =>
  daysOption(io, 'maxAccessKeyAgeDays') === undefined
    ? `option maxAccessKeyAgeDays is ${JSON.stringify(io.options['maxAccessKeyAgeDays'])}, not a number of days ≥ 0`
    : undefined;

export const iamAccessKeyRotation = definePlaybook({
  id: 'iam-access-key-rotation',
  title: "Deactivate an IAM user's access keys older than the rotation limit",
  kind: 'configuration',
  defaultMode: 'approve',
  // Every IAM write is the iam-containment role's (docs/deployment.md, Roles per playbook family).
  roleFamily: 'iam-containment',
  resource: { type: 'AWS::IAM::User', idPattern: IAM_USER_ID_PATTERN, securityHubType: 'AwsIamUser' },
  defaultSeverity: 5,
  triggers: {
    configRules: { 'access-keys-rotated': { identifier: 'ACCESS_KEYS_ROTATED', periodic: true } },
    securityHubControls: ['IAM.3'],
  },
  iamActions: ['iam:GetUser', 'iam:ListUsers', 'iam:ListAccessKeys', 'iam:UpdateAccessKey'],
  state,

  async read(io) {
    const iam = io.client(IAMClient);
    try {
      const user = await findIamUser(iam, io.resource.resourceId, io.abortSignal);
      if (!user?.UserName) return undefined;
      const keys = await accessKeysOf(iam, user.UserName, io.abortSignal);
      const limit = daysOption(io, 'maxAccessKeyAgeDays') ?? 90;
      return {
        userName: user.UserName,
        userId: user.UserId ?? '',
        maxAccessKeyAgeDays: limit,
        accessKeys: keys.map((k) => {
          const createDate = k.CreateDate?.toISOString() ?? null;
          return {
            accessKeyId: k.AccessKeyId ?? '',
            status: k.Status ?? 'Unknown',
            createDate,
            overLimit: olderThan(createDate, limit),
          };
        }),
      };
    } catch (err) {
      // NoSuchEntity between the lookup and the key listing: the user was deleted.
      if (isNotFound(err)) return undefined;
      throw err;
    }
  },
  describe(s) {
    const keys = s.accessKeys.map(
      (k) => `${k.accessKeyId} ${k.status}${k.createDate ? `, ${daysSince(k.createDate)} days old` : ''}`,
    );
    const late = overdue(s).length;
    return `user ${s.userName}: ${keys.length ? keys.join('; ') : 'no access keys'}; ${late} active older than ${s.maxAccessKeyAgeDays} days`;
  },
  cannotFix: (_s, io) => optionProblem(io),

  steps: [
    {
      id: 'deactivate-old-access-keys',
      title: 'UpdateAccessKey Status=Inactive for each active key older than the limit',
      onFailure: 'compensate',
      plan(s, io) {
        // A policy value that cannot be a limit is escalated (cannotFix), never read as the default.
        const problem = optionProblem(io);
        if (problem !== undefined) return `nothing until the policy is fixed: ${problem}`;
        const keys = overdue(s);
        return keys.length === 0
          ? undefined
          : `UpdateAccessKey Status=Inactive on ${ids(keys).join(', ')} of ${s.userName} (older than ${s.maxAccessKeyAgeDays} days; not deleted)`;
      },
      async apply(io, current) {
        const problem = optionProblem(io);
        if (problem !== undefined) return { changed: false, detail: problem };
        const keys = ids(overdue(current));
        await setKeyStatus(io, current.userName, keys, 'Inactive');
        return { changed: true, detail: `deactivated ${keys.join(', ')} of ${current.userName}` };
      },
      async undo(io, prior, current) {
        // The keys the step deactivated: recorded active and past the limit.
        return reactivateKeys(io, ids(overdue(prior)), current);
      },
    },
  ],
});
