/**
 * What the IAM credential playbooks share: finding the user a finding names (by name or user id), its access keys
 * (ids, statuses and dates only: never a secret), switching keys on or off, and day counts from the policy's options.
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
import { isNotFound } from '../../activities/aws-errors';
import type { KitChange, KitIo } from '../../kit/playbook-kit';

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

/**
 * Undo of a step that deactivated keys: makes active again the recorded keys (`deactivated`, the ids the step took)
 * that are still there and not active; any other key stays as it is.
 */
export async function reactivateKeys(
  io: KitIo,
  deactivated: readonly string[],
  current: {
    readonly userName: string;
    readonly accessKeys: readonly { accessKeyId: string; status: string }[];
  },
): Promise<KitChange> {
  const back = deactivated.filter((id) =>
    current.accessKeys.some((k) => k.accessKeyId === id && k.status !== 'Active'),
  );
  if (back.length === 0) return { changed: false, detail: 'already as recorded' };
  await setKeyStatus(io, current.userName, back, 'Active');
  return { changed: true, detail: `${back.join(', ')} of ${current.userName} active again (as recorded)` };
}

/** An access key as the IAM playbooks record it: id, status, creation date (never a secret). */
export const accessKeyRecord = z.object({
  accessKeyId: z.string(),
  /** `Active` or `Inactive`. */
  status: z.string(),
  /** ISO 8601; null when IAM gave none (such a key is never judged old). */
  createDate: z.string().nullable(),
});
