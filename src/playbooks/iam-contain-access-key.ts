/**
 * Playbook `iam-contain-access-key`: contain a credential GuardDuty saw used maliciously (every `*:IAMUser/*` family).
 * A long-term key (`AKIA…`) of an IAM user is deactivated (never deleted), and with the policy option
 * `denyOlderSessions` the user's sessions issued before the containment are denied too. Temporary credentials
 * (`ASIA…`) cannot be deactivated: what contains them is an inline deny for every session of the user (or of the
 * assumed role) issued before the containment, which signs out every holder, so the analysis asks for approval
 * first. Any other principal is escalated. Fails closed.
 *
 * The credential's kind comes from the finding (GuardDuty's access key details); the state records it: a role
 * session has `roleName`, a user's session the status `temporary`, a long-term key its key status. The deny's
 * issue-time bound is the recorded `capturedAt`, so a retried or replayed step writes the same document (and a
 * rollback, which does not compare `capturedAt`, judges the rest).
 */
import {
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import type { Finding } from '../domain/finding';
import { isNotFound } from '../activities/aws-errors';
import { definePlaybook } from '../kit/playbook-kit';
import type { KitChange, KitIo } from '../kit/playbook-kit';

/** Name of the inline policy that denies sessions issued before the containment. */
export const DENY_POLICY_NAME = 'remediator-deny-sessions-issued-before-containment';

/** The inline deny: every action, for credentials issued before `before` (aws:TokenIssueTime). */
export function denyOlderSessionsPolicy(before: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'RemediatorDenyOlderSessions',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { DateLessThan: { 'aws:TokenIssueTime': before } },
      },
    ],
  });
}

/** Longest document `safeDenyDocument` looks at (IAM's inline role policies are at most 10,240 characters). */
const MAX_DENY_DOCUMENT_LENGTH = 10_240;
/** How far in the future a deny's issue time may be: clock skew, not a deny that outlives every new session. */
const MAX_ISSUE_TIME_SKEW_MS = 5 * 60_000;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const SID = /^[A-Za-z0-9]{1,128}$/;

/**
 * Checks a deny document before it is written back (docs/architecture.md, Prior state and rollback) and returns it
 * re-serialised from what was checked, or why it is refused. Accepted is exactly the shape `denyOlderSessionsPolicy`
 * writes, one or more statements: `Effect: Deny`, `Action: *`, `Resource: *`, and only a `DateLessThan` on
 * `aws:TokenIssueTime` at an instant not in the future. No Allow, no NotAction/NotResource/Principal, no other key:
 * a compensation puts back only what this playbook could have put there. Re-serialising means the text IAM parses
 * is the one checked here (a duplicate key cannot hide an `Allow` from this parser and show it to IAM's).
 */
export function safeDenyDocument(
  text: string,
  now = Date.now(),
): { readonly ok: true; readonly document: string } | { readonly ok: false; readonly why: string } {
  const refuse = (why: string) => ({ ok: false as const, why });
  if (text.length > MAX_DENY_DOCUMENT_LENGTH) return refuse('longer than an inline policy can be');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return refuse('not JSON');
  }
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  const onlyKeys = (o: Record<string, unknown>, allowed: readonly string[]) =>
    Object.keys(o).every((k) => allowed.includes(k));
  if (!isObject(parsed) || !onlyKeys(parsed, ['Version', 'Statement'])) {
    return refuse('not a policy document of Version and Statement only');
  }
  if (parsed['Version'] !== '2012-10-17') return refuse("its Version is not '2012-10-17'");
  const statements = parsed['Statement'];
  if (!Array.isArray(statements) || statements.length === 0) return refuse('it has no Statement list');
  const checked: Record<string, unknown>[] = [];
  for (const [i, st] of statements.entries()) {
    const where = `statement ${i + 1}`;
    if (!isObject(st) || !onlyKeys(st, ['Sid', 'Effect', 'Action', 'Resource', 'Condition'])) {
      return refuse(`${where} has keys other than Sid, Effect, Action, Resource and Condition`);
    }
    if (st['Sid'] !== undefined && (typeof st['Sid'] !== 'string' || !SID.test(st['Sid']))) {
      return refuse(`${where} has a malformed Sid`);
    }
    if (st['Effect'] !== 'Deny') return refuse(`${where} is not a Deny`);
    if (st['Action'] !== '*' || st['Resource'] !== '*') {
      return refuse(`${where} is not on Action '*' and Resource '*'`);
    }
    const condition = st['Condition'];
    const dateLessThan = isObject(condition) ? condition['DateLessThan'] : undefined;
    if (
      !isObject(condition) ||
      !onlyKeys(condition, ['DateLessThan']) ||
      !isObject(dateLessThan) ||
      !onlyKeys(dateLessThan, ['aws:TokenIssueTime'])
    ) {
      return refuse(`${where} has a condition other than DateLessThan on aws:TokenIssueTime`);
    }
    const before = dateLessThan['aws:TokenIssueTime'];
    if (typeof before !== 'string' || !ISO_INSTANT.test(before) || Number.isNaN(Date.parse(before))) {
      return refuse(`${where} has no ISO 8601 instant for aws:TokenIssueTime`);
    }
    if (Date.parse(before) > now + MAX_ISSUE_TIME_SKEW_MS) {
      return refuse(`${where} denies sessions issued up to ${before}, in the future`);
    }
    checked.push({
      ...(st['Sid'] !== undefined ? { Sid: st['Sid'] } : {}),
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { DateLessThan: { 'aws:TokenIssueTime': before } },
    });
  }
  return { ok: true, document: JSON.stringify({ Version: '2012-10-17', Statement: checked }) };
}

/** Which kind of credential the finding is about, and whose. */
type Credential =
  | { readonly kind: 'long-term'; readonly userName: string; readonly keyId: string }
  | { readonly kind: 'user-session'; readonly userName: string; readonly keyId: string }
  | { readonly kind: 'role-session'; readonly roleName: string; readonly keyId: string }
  | { readonly kind: 'unsupported'; readonly why: string; readonly keyId: string };

/** Reads the credential from GuardDuty's access key details (userName is the role's name for AssumedRole). */
function credentialOf(f: Finding): Credential {
  const keyId = f.details.accessKeyId ?? f.resource.resourceId;
  const name = f.details.userName ?? '';
  const userType = f.details.userType ?? 'UNKNOWN';
  if (!name) return { kind: 'unsupported', why: `the finding names no principal for ${keyId}`, keyId };
  if (userType === 'AssumedRole') return { kind: 'role-session', roleName: name, keyId };
  if (userType !== 'IAMUser') {
    return {
      kind: 'unsupported',
      why: `credential ${keyId} of ${userType} ${name} is not an IAM user's or role's`,
      keyId,
    };
  }
  if (keyId.startsWith('ASIA')) return { kind: 'user-session', userName: name, keyId };
  if (keyId.startsWith('AKIA')) return { kind: 'long-term', userName: name, keyId };
  return { kind: 'unsupported', why: `${keyId} is not an AWS access key id`, keyId };
}

/** The status of session credentials (they have no key status), as recorded before the kit. */
const TEMPORARY = 'temporary';
/** The status of a credential this playbook cannot contain (never recorded as a prior: the analysis escalates). */
const UNSUPPORTED = 'unsupported';

const state = z.object({
  /** The IAM user (long-term keys and user sessions); empty for a role session. */
  userName: z.string(),
  /** The role whose sessions are denied (role sessions only). */
  roleName: z.string().optional(),
  accessKeyId: z.string(),
  /** `Active` | `Inactive` for a long-term key; `temporary` for session credentials. */
  status: z.string(),
  /**
   * The playbook's inline deny policy on the user or role, decoded (null: none). In the recorded prior state, what
   * a rollback restores exactly; the name is the one recorded before the kit.
   */
  denyPolicyBefore: z.string().nullable().optional(),
  /** When it was read: the recorded one bounds the deny (sessions issued before it), so retries agree. */
  capturedAt: z.string(),
});
export type AccessKeyState = z.infer<typeof state>;

type Kind = Credential['kind'];
/** The kind of credential a state is about (see the file's comment). */
function kindOf(s: AccessKeyState): Kind {
  if (s.status === UNSUPPORTED) return 'unsupported';
  if (s.roleName !== undefined) return 'role-session';
  return s.status === TEMPORARY ? 'user-session' : 'long-term';
}

/** A session deny of ours (or an earlier containment's) is on the user or role. */
const denyInPlace = (s: AccessKeyState) => (s.denyPolicyBefore ?? '').includes('aws:TokenIssueTime');
/** Why the finding's credential cannot be contained (its state is `unsupported`). */
function whyUnsupported(io: KitIo): string {
  const on = credentialOf(io.finding);
  return on.kind === 'unsupported' ? on.why : `credential ${on.keyId} cannot be contained`;
}
const denyWanted = (io: KitIo) => io.options['denyOlderSessions'] === true;
const opts = (io: KitIo) => ({ abortSignal: io.abortSignal });

/** The status of `keyId` among `userName`'s keys, or `undefined` when the key (or the user) is gone. */
async function keyStatus(
  iam: IAMClient,
  userName: string,
  keyId: string,
  io: KitIo,
): Promise<string | undefined> {
  try {
    let marker: string | undefined;
    do {
      const page = await iam.send(
        new ListAccessKeysCommand({ UserName: userName, ...(marker ? { Marker: marker } : {}) }),
        opts(io),
      );
      const key = page.AccessKeyMetadata?.find((k) => k.AccessKeyId === keyId);
      if (key) return key.Status;
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    return undefined;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Whose sessions the deny is on: the role of a role session, else the user. */
type Principal = { readonly role: string } | { readonly user: string };
const principalOf = (s: AccessKeyState): Principal | undefined =>
  s.roleName !== undefined ? { role: s.roleName } : s.userName ? { user: s.userName } : undefined;
const whose = (p: Principal) => ('role' in p ? `role ${p.role}` : p.user);

/** The playbook's inline deny on the user or role (decoded), or null when there is none. */
async function denyPolicy(iam: IAMClient, on: Principal, io: KitIo): Promise<string | null> {
  try {
    const document =
      'role' in on
        ? (
            await iam.send(
              new GetRolePolicyCommand({ RoleName: on.role, PolicyName: DENY_POLICY_NAME }),
              opts(io),
            )
          ).PolicyDocument
        : (
            await iam.send(
              new GetUserPolicyCommand({ UserName: on.user, PolicyName: DENY_POLICY_NAME }),
              opts(io),
            )
          ).PolicyDocument;
    // IAM returns policy documents URL-encoded.
    return document ? decodeURIComponent(document) : null;
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

async function putDeny(iam: IAMClient, on: Principal, document: string, io: KitIo): Promise<void> {
  if ('role' in on) {
    await iam.send(
      new PutRolePolicyCommand({ RoleName: on.role, PolicyName: DENY_POLICY_NAME, PolicyDocument: document }),
      opts(io),
    );
  } else {
    await iam.send(
      new PutUserPolicyCommand({ UserName: on.user, PolicyName: DENY_POLICY_NAME, PolicyDocument: document }),
      opts(io),
    );
  }
}

/** Deletes the deny; `false` when there was none. */
async function deleteDeny(iam: IAMClient, on: Principal, io: KitIo): Promise<boolean> {
  try {
    if ('role' in on) {
      await iam.send(
        new DeleteRolePolicyCommand({ RoleName: on.role, PolicyName: DENY_POLICY_NAME }),
        opts(io),
      );
    } else {
      await iam.send(
        new DeleteUserPolicyCommand({ UserName: on.user, PolicyName: DENY_POLICY_NAME }),
        opts(io),
      );
    }
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** Whether the role exists (a session of a deleted role has nothing left to contain). */
async function roleExists(iam: IAMClient, roleName: string, io: KitIo): Promise<boolean> {
  try {
    await iam.send(new GetRoleCommand({ RoleName: roleName }), opts(io));
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** A session-deny step's apply (when `needed`: not already exactly this): the deny bounded by the recorded read time. */
async function applyDeny(io: KitIo, current: AccessKeyState, prior: AccessKeyState): Promise<KitChange> {
  const on = principalOf(current);
  if (!on) throw new Error(`no IAM user or role to deny the sessions of for ${current.accessKeyId}`);
  await putDeny(io.client(IAMClient), on, denyOlderSessionsPolicy(prior.capturedAt), io);
  return {
    changed: true,
    detail: `${DENY_POLICY_NAME} on ${whose(on)}: sessions issued before ${prior.capturedAt} denied`,
  };
}

/**
 * A session-deny step's undo: put back exactly what was there (an earlier containment's deny stays, ours goes), on
 * the principal the finding names. Only a deny of our own shape goes back: PutRolePolicy/PutUserPolicy would write
 * any document.
 */
async function restoreDeny(io: KitIo, prior: AccessKeyState, current: AccessKeyState): Promise<KitChange> {
  const on = principalOf(current);
  if (!on) return { changed: false, detail: 'no IAM user or role: no deny policy' };
  const iam = io.client(IAMClient);
  const before = prior.denyPolicyBefore ?? null;
  if (before !== null) {
    const safe = safeDenyDocument(before);
    if (!safe.ok) {
      throw ApplicationFailure.nonRetryable(
        `refusing to restore ${DENY_POLICY_NAME}: the recorded document is not a deny of the remediator's ` +
          `own shape (${safe.why}); nothing restored`,
        'UnsafePriorState',
      );
    }
    await putDeny(iam, on, safe.document, io);
    return { changed: true, detail: `${DENY_POLICY_NAME} restored to its earlier document` };
  }
  return (await deleteDeny(iam, on, io))
    ? { changed: true, detail: `removed ${DENY_POLICY_NAME}` }
    : { changed: false, detail: 'no deny policy' };
}

/** `deny-older-sessions`: a user's session key, or a long-term key when the policy asks (`denyOlderSessions`). */
function planUserDeny(s: AccessKeyState, io: KitIo): string | undefined {
  const kind = kindOf(s);
  return kind === 'user-session' || (kind === 'long-term' && denyWanted(io))
    ? `PutUserPolicy ${s.userName} ${DENY_POLICY_NAME}: deny sessions issued before now`
    : undefined;
}

/** `revoke-older-role-sessions`: an assumed role's session key. */
function planRoleDeny(s: AccessKeyState): string | undefined {
  return kindOf(s) === 'role-session'
    ? `PutRolePolicy ${s.roleName} ${DENY_POLICY_NAME}: deny every session of the role issued before now (every holder of the role must assume it again)`
    : undefined;
}

export const iamContainAccessKey = definePlaybook({
  id: 'iam-contain-access-key',
  title: 'Contain a compromised IAM credential: deactivate the key, or deny older sessions',
  kind: 'containment',
  defaultMode: 'auto',
  roleFamily: 'iam-containment',
  resource: {
    type: 'AWS::IAM::AccessKey',
    // An access key id, or the user name GuardDuty names when it gives no key (src/ingest/resource-guard.ts).
    idPattern: /^[\w+=,.@-]{1,128}$/,
  },
  defaultSeverity: 8,
  // Every IAM user family, at GuardDuty's default threshold (severity 7).
  triggers: { guardDutyTypes: ['*:IAMUser/*'] },
  iamActions: [
    'iam:ListAccessKeys',
    'iam:UpdateAccessKey',
    'iam:GetUserPolicy',
    'iam:PutUserPolicy',
    'iam:DeleteUserPolicy',
    'iam:GetRole',
    'iam:GetRolePolicy',
    'iam:PutRolePolicy',
    'iam:DeleteRolePolicy',
  ],
  state,

  async read(io) {
    const on = credentialOf(io.finding);
    const iam = io.client(IAMClient);
    const capturedAt = new Date().toISOString();
    switch (on.kind) {
      case 'unsupported':
        // Nothing to read: the analysis escalates (cannotFix).
        return {
          userName: '',
          accessKeyId: on.keyId,
          status: UNSUPPORTED,
          denyPolicyBefore: null,
          capturedAt,
        };
      case 'role-session':
        if (!(await roleExists(iam, on.roleName, io))) return undefined;
        return {
          userName: '',
          roleName: on.roleName,
          accessKeyId: on.keyId,
          status: TEMPORARY,
          denyPolicyBefore: await denyPolicy(iam, { role: on.roleName }, io),
          capturedAt,
        };
      case 'user-session':
        return {
          userName: on.userName,
          accessKeyId: on.keyId,
          status: TEMPORARY,
          denyPolicyBefore: await denyPolicy(iam, { user: on.userName }, io),
          capturedAt,
        };
      case 'long-term': {
        const status = await keyStatus(iam, on.userName, on.keyId, io);
        if (status === undefined) return undefined;
        return {
          userName: on.userName,
          accessKeyId: on.keyId,
          status,
          denyPolicyBefore: await denyPolicy(iam, { user: on.userName }, io),
          capturedAt,
        };
      }
    }
  },
  describe(s) {
    const deny = denyInPlace(s) ? 'session deny in place' : 'no session deny';
    switch (kindOf(s)) {
      case 'unsupported':
        return `credential ${s.accessKeyId} of no IAM user or role`;
      case 'role-session':
        return `${s.accessKeyId} is a temporary credential of role ${s.roleName}; ${deny}`;
      case 'user-session':
        return `${s.accessKeyId} is a temporary credential of IAM user ${s.userName}; ${deny}`;
      case 'long-term':
        return `access key ${s.accessKeyId} of IAM user ${s.userName} is ${s.status}; ${deny}`;
    }
  },
  // A long-term key already inactive is contained; a session credential always needs its deny (now).
  compliant: (s) => kindOf(s) === 'long-term' && s.status === 'Inactive',
  cannotFix: (s, io) => (kindOf(s) === 'unsupported' ? whyUnsupported(io) : undefined),
  needsApproval(s) {
    switch (kindOf(s)) {
      case 'role-session':
        return "revoking the role's older sessions hits every holder of the role";
      case 'user-session':
        return "denying the user's older sessions signs out every session of the user";
      default:
        return undefined;
    }
  },
  stillWrong(s, io) {
    switch (kindOf(s)) {
      case 'unsupported':
        return whyUnsupported(io);
      case 'role-session':
      case 'user-session':
        return denyInPlace(s) ? undefined : 'session deny missing';
      case 'long-term': {
        // A key deleted since is contained too, but reads as gone (verification fails: a person looks).
        const wrong = [
          ...(s.status === 'Inactive' ? [] : [`${s.accessKeyId} is ${s.status}`]),
          ...(denyWanted(io) && !denyInPlace(s) ? ['session deny missing'] : []),
        ];
        return wrong.length > 0 ? wrong.join('; ') : undefined;
      }
    }
  },

  steps: [
    {
      id: 'deactivate-access-key',
      title: 'UpdateAccessKey Inactive (never delete)',
      onFailure: 'fail-closed',
      plan: (s) =>
        kindOf(s) === 'long-term' && s.status !== 'Inactive'
          ? `UpdateAccessKey ${s.accessKeyId} of ${s.userName} → Inactive (not deleted)`
          : undefined,
      async apply(io, current) {
        await io.client(IAMClient).send(
          new UpdateAccessKeyCommand({
            UserName: current.userName,
            AccessKeyId: current.accessKeyId,
            Status: 'Inactive',
          }),
          opts(io),
        );
        return { changed: true, detail: `${current.accessKeyId} of ${current.userName} deactivated` };
      },
      async undo(io, prior, current) {
        // The recorded key (the finding's): its status as it was; only a rollback sets a key Active again.
        const iam = io.client(IAMClient);
        const same = current.userName === prior.userName && current.accessKeyId === prior.accessKeyId;
        const now = same ? current.status : await keyStatus(iam, prior.userName, prior.accessKeyId, io);
        if (now === prior.status) return { changed: false, detail: 'already as recorded' };
        await iam.send(
          new UpdateAccessKeyCommand({
            UserName: prior.userName,
            AccessKeyId: prior.accessKeyId,
            Status: prior.status === 'Active' ? 'Active' : 'Inactive',
          }),
          opts(io),
        );
        return { changed: true, detail: `${prior.accessKeyId} back to ${prior.status}` };
      },
    },
    {
      id: 'deny-older-sessions',
      title:
        "Inline user deny for sessions issued before now (option denyOlderSessions; a user's temporary key, approved)",
      onFailure: 'fail-closed',
      plan: planUserDeny,
      // Until the deny bounded by the recorded read time is on (the plan alone cannot tell: it is always "now").
      needed: (current, prior, io) =>
        planUserDeny(current, io) !== undefined &&
        current.denyPolicyBefore !== denyOlderSessionsPolicy(prior.capturedAt),
      apply: applyDeny,
      undo: restoreDeny,
    },
    {
      id: 'revoke-older-role-sessions',
      title:
        "Inline role deny for sessions issued before now (an assumed role's temporary key, after approval)",
      onFailure: 'fail-closed',
      plan: planRoleDeny,
      needed: (current, prior) =>
        planRoleDeny(current) !== undefined &&
        current.denyPolicyBefore !== denyOlderSessionsPolicy(prior.capturedAt),
      apply: applyDeny,
      undo: restoreDeny,
    },
  ],
});
