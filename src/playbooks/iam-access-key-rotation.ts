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
import {
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListUsersCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import type { AccessKeyMetadata, User } from '@aws-sdk/client-iam';
import { z } from 'zod';
import { isNotFound } from '../activities/aws-errors';
import { definePlaybook } from '../kit/playbook-kit';
import type { KitIo } from '../kit/playbook-kit';

/**
 * An IAM user id (`AIDA…`, Config's name for a user) or an IAM user name (Security Hub's, after the ARN's last `/`).
 * A user id is itself a legal user name; both alternatives are spelled out for the reader.
 */
export const IAM_USER_ID_PATTERN = /^(?:AIDA[A-Z0-9]{13,124}|[\w+=,.@-]{1,64})$/;
/** AWS's user ids: looked up by id first, whatever GetUser would say about a user of that name. */
const AWS_USER_ID = /^AIDA[A-Z0-9]{13,124}$/;

export const DAY_MS = 24 * 3600 * 1000;

/**
 * A number of days ≥ 0 from the policy's options: `fallback` when unset, `undefined` when set to anything else (the
 * playbook then refuses to act, rather than guess what was meant).
 */
export function daysOption(io: Pick<KitIo, 'options'>, key: string, fallback = 90): number | undefined {
  const value = io.options[key];
  if (value === undefined) return fallback;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** Whether `iso` lies more than `days` days before now (an unknown date never does). */
export function olderThan(iso: string | null, days: number, now = Date.now()): boolean {
  if (iso === null) return false;
  const at = Date.parse(iso);
  return !Number.isNaN(at) && at < now - days * DAY_MS;
}

/** Whole days since `iso`, for descriptions. */
export const daysSince = (iso: string, now = Date.now()) => Math.floor((now - Date.parse(iso)) / DAY_MS);

/**
 * The IAM user a finding names, by name or by user id, or `undefined` when there is none. A name is asked for with
 * GetUser; an AWS user id (`AIDA…`), or a name GetUser does not know (an id of another shape, as emulators issue), is
 * looked for among every page of ListUsers, a user with that id before one with that name.
 */
export async function findIamUser(
  iam: IAMClient,
  id: string,
  abortSignal?: AbortSignal,
): Promise<User | undefined> {
  if (!AWS_USER_ID.test(id)) {
    try {
      const user = (await iam.send(new GetUserCommand({ UserName: id }), { abortSignal })).User;
      if (user) return user;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  let byName: User | undefined;
  let marker: string | undefined;
  do {
    const page = await iam.send(
      new ListUsersCommand({ MaxItems: 1000, ...(marker ? { Marker: marker } : {}) }),
      { abortSignal },
    );
    for (const user of page.Users ?? []) {
      if (user.UserId === id) return user;
      if (user.UserName === id) byName ??= user;
    }
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return byName;
}

/** Every access key of a user (ids, statuses, dates: ListAccessKeys never returns secrets). NoSuchEntity: no user. */
export async function accessKeysOf(
  iam: IAMClient,
  userName: string,
  abortSignal?: AbortSignal,
): Promise<AccessKeyMetadata[]> {
  const keys: AccessKeyMetadata[] = [];
  let marker: string | undefined;
  do {
    const page = await iam.send(
      new ListAccessKeysCommand({ UserName: userName, ...(marker ? { Marker: marker } : {}) }),
      { abortSignal },
    );
    keys.push(...(page.AccessKeyMetadata ?? []));
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return keys;
}

/** Sets the status of each of `keyIds` of `userName`. */
export async function setKeyStatus(
  io: KitIo,
  userName: string,
  keyIds: readonly string[],
  status: 'Active' | 'Inactive',
): Promise<void> {
  const iam = io.client(IAMClient);
  for (const AccessKeyId of keyIds) {
    await iam.send(new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId, Status: status }), {
      abortSignal: io.abortSignal,
    });
  }
}

const accessKey = z.object({
  accessKeyId: z.string(),
  /** `Active` or `Inactive`. */
  status: z.string(),
  /** ISO 8601; null when IAM gave none (such a key is never judged old). */
  createDate: z.string().nullable(),
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
        // The keys the step deactivated (recorded active and past the limit) that are still there and not active.
        const back = ids(overdue(prior)).filter((id) =>
          current.accessKeys.some((k) => k.accessKeyId === id && k.status !== 'Active'),
        );
        if (back.length === 0) return { changed: false, detail: 'already as recorded' };
        await setKeyStatus(io, current.userName, back, 'Active');
        return {
          changed: true,
          detail: `${back.join(', ')} of ${current.userName} active again (as recorded)`,
        };
      },
    },
  ],
});
