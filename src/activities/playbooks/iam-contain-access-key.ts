/**
 * Playbook `iam-contain-access-key`: contain a credential GuardDuty saw used maliciously (`UnauthorizedAccess:IAMUser/*`).
 * A long-term key (`AKIA…`) is deactivated (never deleted), optionally with an inline deny for the user's sessions
 * issued before now. Temporary credentials (`ASIA…`) cannot be deactivated: what contains them is a deny for every
 * session of the role (or user) issued before now, which hits every holder of the role, so the analysis asks for
 * approval first. Fails closed.
 */
import {
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  ListAccessKeysCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import type { IAMClient } from '@aws-sdk/client-iam';
import { ApplicationFailure } from '@temporalio/activity';
import type { AwsClients } from '../../aws/clients';
import type { Finding } from '../../domain/finding';
import type { Analysis, PlannedStep, StepResult, Verification } from '../../domain/remediation';
import { classified, isNotFound } from '../aws-errors';
import type { CallContext, PlaybookHandler } from './playbook-handler';
import { assertKnownStep } from './steps';

/** What this playbook records before changing anything. */
export interface AccessKeyPrior extends Record<string, unknown> {
  /** The IAM user (long-term keys and user sessions); empty for a role session. */
  readonly userName: string;
  /** The role whose sessions are denied (role sessions only). */
  readonly roleName?: string;
  readonly accessKeyId: string;
  /** `Active` | `Inactive` for a long-term key; `temporary` for session credentials. */
  readonly status: string;
  /** The playbook's inline deny policy on the user or role before the change, to restore exactly (null: none). */
  readonly denyPolicyBefore?: string | null;
  /** When the prior state was read: sessions issued before it are denied (fixed here so retries agree). */
  readonly capturedAt: string;
}

const STEP = 'deactivate-access-key';
const DENY = 'deny-older-sessions';
const ROLE_DENY = 'revoke-older-role-sessions';
const STEPS = [STEP, DENY, ROLE_DENY];
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

/** Builds the playbook from the shared client factory. */
export function iamContainAccessKey(clients: AwsClients): PlaybookHandler {
  const iamFor = (f: Finding): IAMClient => clients.iam(f.resource.account);
  const opts = (ctx: CallContext) => ({ abortSignal: ctx.abortSignal });

  async function keyStatus(
    iam: IAMClient,
    userName: string,
    keyId: string,
    ctx: CallContext,
  ): Promise<string | undefined> {
    try {
      let marker: string | undefined;
      do {
        const page = await iam.send(
          new ListAccessKeysCommand({ UserName: userName, ...(marker ? { Marker: marker } : {}) }),
          opts(ctx),
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

  /** The playbook's inline deny on the user or role (decoded), or null when there is none. */
  async function denyPolicy(iam: IAMClient, on: Credential, ctx: CallContext): Promise<string | null> {
    try {
      const document =
        on.kind === 'role-session'
          ? (
              await iam.send(
                new GetRolePolicyCommand({ RoleName: on.roleName, PolicyName: DENY_POLICY_NAME }),
                opts(ctx),
              )
            ).PolicyDocument
          : on.kind === 'unsupported'
            ? undefined
            : (
                await iam.send(
                  new GetUserPolicyCommand({ UserName: on.userName, PolicyName: DENY_POLICY_NAME }),
                  opts(ctx),
                )
              ).PolicyDocument;
      // IAM returns policy documents URL-encoded.
      return document ? decodeURIComponent(document) : null;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async function putDeny(iam: IAMClient, on: Credential, document: string, ctx: CallContext): Promise<void> {
    if (on.kind === 'role-session') {
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: on.roleName,
          PolicyName: DENY_POLICY_NAME,
          PolicyDocument: document,
        }),
        opts(ctx),
      );
    } else if (on.kind !== 'unsupported') {
      await iam.send(
        new PutUserPolicyCommand({
          UserName: on.userName,
          PolicyName: DENY_POLICY_NAME,
          PolicyDocument: document,
        }),
        opts(ctx),
      );
    }
  }

  async function deleteDeny(iam: IAMClient, on: Credential, ctx: CallContext): Promise<boolean> {
    try {
      if (on.kind === 'role-session') {
        await iam.send(
          new DeleteRolePolicyCommand({ RoleName: on.roleName, PolicyName: DENY_POLICY_NAME }),
          opts(ctx),
        );
      } else if (on.kind !== 'unsupported') {
        await iam.send(
          new DeleteUserPolicyCommand({ UserName: on.userName, PolicyName: DENY_POLICY_NAME }),
          opts(ctx),
        );
      }
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Whether the role exists (a session of a deleted role has nothing left to contain). */
  async function roleExists(iam: IAMClient, roleName: string, ctx: CallContext): Promise<boolean> {
    try {
      await iam.send(new GetRoleCommand({ RoleName: roleName }), opts(ctx));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  function sessionDenyStep(on: Credential): PlannedStep {
    return on.kind === 'role-session'
      ? {
          step: ROLE_DENY,
          description: `PutRolePolicy ${on.roleName} ${DENY_POLICY_NAME}: deny every session of the role issued before now (every holder of the role must assume it again)`,
        }
      : {
          step: DENY,
          description: `PutUserPolicy ${on.kind === 'unsupported' ? '?' : on.userName} ${DENY_POLICY_NAME}: deny sessions issued before now`,
        };
  }

  return {
    async analyze(f, ctx): Promise<Analysis> {
      const on = credentialOf(f);
      const iam = iamFor(f);
      if (on.kind === 'unsupported') {
        return { verdict: 'cannot_fix', reason: on.why, plan: [], observed: {} };
      }
      if (on.kind === 'role-session') {
        return classified('analyse role session', async () => {
          if (!(await roleExists(iam, on.roleName, ctx))) {
            return {
              verdict: 'no_action',
              reason: `role ${on.roleName} no longer exists`,
              plan: [],
              observed: {},
            };
          }
          return {
            verdict: 'needs_approval',
            reason: `${on.keyId} is a temporary credential of role ${on.roleName}; revoking the role's older sessions hits every holder of the role`,
            plan: [sessionDenyStep(on)],
            observed: { userType: 'AssumedRole' },
          };
        });
      }
      if (on.kind === 'user-session') {
        return {
          verdict: 'needs_approval',
          reason: `${on.keyId} is a temporary credential of IAM user ${on.userName}; denying the user's older sessions signs out every session of the user`,
          plan: [sessionDenyStep(on)],
          observed: { userType: 'IAMUser' },
        };
      }
      return classified('analyse access key', async () => {
        const status = await keyStatus(iam, on.userName, on.keyId, ctx);
        if (status === undefined)
          return {
            verdict: 'no_action',
            reason: `access key ${on.keyId} of ${on.userName} no longer exists`,
            plan: [],
            observed: {},
          };
        if (status === 'Inactive')
          return {
            verdict: 'no_action',
            reason: `access key ${on.keyId} of ${on.userName} is already inactive`,
            plan: [],
            observed: { status },
          };
        return {
          verdict: 'remediate',
          reason: `${f.control}: access key ${on.keyId} of IAM user ${on.userName} is active`,
          plan: [
            {
              step: STEP,
              description: `UpdateAccessKey ${on.keyId} of ${on.userName} → Inactive (not deleted)`,
            },
            // Sessions already issued from the key outlive its deactivation; the policy decides whether to cut them.
            ...(ctx.options?.denyOlderSessions === true ? [sessionDenyStep(on)] : []),
          ],
          observed: { status },
        };
      });
    },

    async capturePriorState(f, ctx): Promise<AccessKeyPrior> {
      const on = credentialOf(f);
      const iam = iamFor(f);
      return classified('record credential state', async () => {
        const capturedAt = new Date().toISOString();
        const denyPolicyBefore = await denyPolicy(iam, on, ctx);
        if (on.kind === 'role-session') {
          return {
            userName: '',
            roleName: on.roleName,
            accessKeyId: on.keyId,
            status: 'temporary',
            denyPolicyBefore,
            capturedAt,
          };
        }
        if (on.kind === 'unsupported') {
          throw Object.assign(new Error(on.why), { name: 'ValidationError', $fault: 'client' });
        }
        const status =
          on.kind === 'user-session' ? 'temporary' : await keyStatus(iam, on.userName, on.keyId, ctx);
        if (status === undefined)
          throw Object.assign(new Error(`access key ${on.keyId} not found`), {
            name: 'NoSuchEntity',
            $fault: 'client',
          });
        return { userName: on.userName, accessKeyId: on.keyId, status, denyPolicyBefore, capturedAt };
      });
    },

    async applyStep(step, f, prior, ctx): Promise<StepResult> {
      assertKnownStep('iam-contain-access-key', step, STEPS);
      const on = credentialOf(f);
      const iam = iamFor(f);
      if (step === DENY || step === ROLE_DENY) {
        const before = (prior as AccessKeyPrior).capturedAt;
        const whose =
          on.kind === 'role-session' ? `role ${on.roleName}` : on.kind === 'unsupported' ? '?' : on.userName;
        return classified('deny older sessions', async () => {
          const document = denyOlderSessionsPolicy(before);
          if ((await denyPolicy(iam, on, ctx)) === document)
            return { step, changed: false, detail: `${DENY_POLICY_NAME} already on ${whose}` };
          await putDeny(iam, on, document, ctx);
          return {
            step,
            changed: true,
            detail: `${DENY_POLICY_NAME} on ${whose}: sessions issued before ${before} denied`,
          };
        });
      }
      if (on.kind !== 'long-term')
        throw new Error(`${step} applies only to a long-term key, not ${on.keyId}`);
      return classified('deactivate access key', async () => {
        if ((await keyStatus(iam, on.userName, on.keyId, ctx)) === 'Inactive')
          return { step, changed: false, detail: 'already inactive' };
        await iam.send(
          new UpdateAccessKeyCommand({ UserName: on.userName, AccessKeyId: on.keyId, Status: 'Inactive' }),
          opts(ctx),
        );
        return { step, changed: true, detail: `${on.keyId} of ${on.userName} deactivated` };
      });
    },

    async compensateStep(step, f, prior, ctx): Promise<StepResult> {
      assertKnownStep('iam-contain-access-key', step, STEPS);
      const recorded = prior as AccessKeyPrior;
      const on = credentialOf(f);
      const iam = iamFor(f);
      if (step === DENY || step === ROLE_DENY) {
        return classified('restore the session deny', async () => {
          // Put back exactly what was there: an earlier containment's deny stays, ours goes.
          const before = recorded.denyPolicyBefore ?? null;
          if (before !== null) {
            // Only a deny of our own shape goes back: PutRolePolicy/PutUserPolicy would write any document.
            const safe = typeof before === 'string' ? safeDenyDocument(before) : undefined;
            if (!safe?.ok) {
              throw ApplicationFailure.nonRetryable(
                `refusing to restore ${DENY_POLICY_NAME}: the recorded document is not a deny of the remediator's ` +
                  `own shape (${safe ? safe.why : 'not text'}); nothing restored`,
                'UnsafePriorState',
              );
            }
            await putDeny(iam, on, safe.document, ctx);
            return { step, changed: true, detail: `${DENY_POLICY_NAME} restored to its earlier document` };
          }
          return (await deleteDeny(iam, on, ctx))
            ? { step, changed: true, detail: `removed ${DENY_POLICY_NAME}` }
            : { step, changed: false, detail: 'no deny policy' };
        });
      }
      return classified('reactivate access key', async () => {
        const now = await keyStatus(iam, recorded.userName, recorded.accessKeyId, ctx);
        if (now === recorded.status) return { step, changed: false, detail: 'already as recorded' };
        await iam.send(
          new UpdateAccessKeyCommand({
            UserName: recorded.userName,
            AccessKeyId: recorded.accessKeyId,
            Status: recorded.status === 'Active' ? 'Active' : 'Inactive',
          }),
          opts(ctx),
        );
        return { step, changed: true, detail: `${recorded.accessKeyId} back to ${recorded.status}` };
      });
    },

    async verify(f, ctx): Promise<Verification> {
      const on = credentialOf(f);
      const iam = iamFor(f);
      return classified('verify credential containment', async () => {
        const deny = await denyPolicy(iam, on, ctx);
        const denyPresent = deny !== null && deny.includes('aws:TokenIssueTime');
        if (on.kind === 'role-session' || on.kind === 'user-session') {
          const whose = on.kind === 'role-session' ? `role ${on.roleName}` : `user ${on.userName}`;
          return {
            passed: denyPresent,
            detail: `Get${on.kind === 'role-session' ? 'Role' : 'User'}Policy ${whose}: session deny ${denyPresent ? 'in place' : 'missing'}`,
            observed: { denyPresent },
            at: new Date().toISOString(),
          };
        }
        if (on.kind === 'unsupported') {
          return { passed: false, detail: on.why, observed: {}, at: new Date().toISOString() };
        }
        const status = await keyStatus(iam, on.userName, on.keyId, ctx);
        const denyWanted = ctx.options?.denyOlderSessions === true;
        return {
          passed: (status === 'Inactive' || status === undefined) && (!denyWanted || denyPresent),
          detail: `ListAccessKeys ${on.userName}: ${on.keyId} is ${status ?? 'gone'}${denyWanted ? `; session deny ${denyPresent ? 'in place' : 'missing'}` : ''}`,
          observed: { status: status ?? null },
          at: new Date().toISOString(),
        };
      });
    },
  };
}
