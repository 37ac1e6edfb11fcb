/**
 * Playbook `iam-contain-access-key`: deactivate (never delete) a long-term access key (`AKIA…`) GuardDuty saw used
 * maliciously (`UnauthorizedAccess:IAMUser/*`). Temporary credentials (`ASIA…`, assumed roles) cannot be deactivated;
 * revoking a role's older sessions hits every holder of the role, so those wait for a person. Fails closed.
 */
import {
  DeleteUserPolicyCommand,
  GetUserPolicyCommand,
  ListAccessKeysCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { AwsClients } from '../../aws/clients';
import type { Finding } from '../../domain/finding';
import type { Analysis, StepResult, Verification } from '../../domain/remediation';
import { classified, isNotFound } from '../aws-errors';
import type { CallContext, PlaybookHandler } from './playbook-handler';
import { assertKnownStep } from './steps';

/** What this playbook records before changing anything. */
export interface AccessKeyPrior extends Record<string, unknown> {
  readonly userName: string;
  readonly accessKeyId: string;
  readonly status: string;
  /** When the prior state was read: sessions issued before it are denied (fixed here so retries agree). */
  readonly capturedAt: string;
}

const STEP = 'deactivate-access-key';
const DENY = 'deny-older-sessions';
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

/** Builds the playbook from the shared client factory. */
export function iamContainAccessKey(clients: AwsClients): PlaybookHandler {
  const iamFor = (f: Finding): IAMClient => clients.iam(f.resource.account);

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
          {
            abortSignal: ctx.abortSignal,
          },
        );
        const key = page.AccessKeyMetadata?.find((k) => k.AccessKeyId === keyId);
        if (key) return key.Status;
        marker = page.IsTruncated ? page.Marker : undefined;
      } while (marker);
      return undefined;
    } catch (err) {
      if (isNotFound(err) || (err as { name?: string }).name === 'NoSuchEntity') return undefined;
      throw err;
    }
  }

  const identify = (f: Finding) => ({
    userName: f.details.userName ?? '',
    keyId: f.details.accessKeyId ?? f.resource.resourceId,
  });

  return {
    async analyze(f, ctx): Promise<Analysis> {
      const { userName, keyId } = identify(f);
      const userType = f.details.userType ?? 'UNKNOWN';
      if (keyId.startsWith('ASIA') || userType === 'AssumedRole' || userType === 'FederatedUser') {
        return {
          verdict: 'needs_approval',
          reason: `${keyId} is a temporary credential (${userType}); revoking the role's older sessions hits every holder of the role`,
          plan: [],
          observed: { userType },
        };
      }
      if (userType === 'Root' || !userName || !keyId.startsWith('AKIA')) {
        return {
          verdict: 'cannot_fix',
          reason: `credential ${keyId} of ${userType} ${userName || '?'} is not an IAM user's long-term key`,
          plan: [],
          observed: { userType },
        };
      }
      return classified('analyse access key', async () => {
        const status = await keyStatus(iamFor(f), userName, keyId, ctx);
        if (status === undefined)
          return {
            verdict: 'no_action',
            reason: `access key ${keyId} of ${userName} no longer exists`,
            plan: [],
            observed: {},
          };
        if (status === 'Inactive')
          return {
            verdict: 'no_action',
            reason: `access key ${keyId} of ${userName} is already inactive`,
            plan: [],
            observed: { status },
          };
        return {
          verdict: 'remediate',
          reason: `${f.control}: access key ${keyId} of IAM user ${userName} is active`,
          plan: [
            { step: STEP, description: `UpdateAccessKey ${keyId} of ${userName} → Inactive (not deleted)` },
            // Sessions already issued from the key outlive its deactivation; the policy decides whether to cut them.
            ...(ctx.options?.denyOlderSessions === true
              ? [
                  {
                    step: DENY,
                    description: `PutUserPolicy ${userName} ${DENY_POLICY_NAME}: deny sessions issued before now`,
                  },
                ]
              : []),
          ],
          observed: { status },
        };
      });
    },

    async capturePriorState(f, ctx): Promise<AccessKeyPrior> {
      const { userName, keyId } = identify(f);
      return classified('record access key status', async () => {
        const status = await keyStatus(iamFor(f), userName, keyId, ctx);
        if (status === undefined)
          throw Object.assign(new Error(`access key ${keyId} not found`), {
            name: 'NoSuchEntity',
            $fault: 'client',
          });
        return { userName, accessKeyId: keyId, status, capturedAt: new Date().toISOString() };
      });
    },

    async applyStep(step, f, prior, ctx): Promise<StepResult> {
      assertKnownStep('iam-contain-access-key', step, [STEP, DENY]);
      const { userName, keyId } = identify(f);
      const iam = iamFor(f);
      if (step === DENY) {
        const before = (prior as AccessKeyPrior).capturedAt;
        return classified('deny older sessions', async () => {
          await iam.send(
            new PutUserPolicyCommand({
              UserName: userName,
              PolicyName: DENY_POLICY_NAME,
              PolicyDocument: denyOlderSessionsPolicy(before),
            }),
            { abortSignal: ctx.abortSignal },
          );
          return {
            step,
            changed: true,
            detail: `${DENY_POLICY_NAME} on ${userName}: sessions issued before ${before} denied`,
          };
        });
      }
      return classified('deactivate access key', async () => {
        if ((await keyStatus(iam, userName, keyId, ctx)) === 'Inactive')
          return { step, changed: false, detail: 'already inactive' };
        await iam.send(
          new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: keyId, Status: 'Inactive' }),
          { abortSignal: ctx.abortSignal },
        );
        return { step, changed: true, detail: `${keyId} of ${userName} deactivated` };
      });
    },

    async compensateStep(step, f, prior, ctx): Promise<StepResult> {
      assertKnownStep('iam-contain-access-key', step, [STEP, DENY]);
      const recorded = prior as AccessKeyPrior;
      const iam = iamFor(f);
      if (step === DENY) {
        return classified('remove the session deny', async () => {
          try {
            await iam.send(
              new DeleteUserPolicyCommand({ UserName: recorded.userName, PolicyName: DENY_POLICY_NAME }),
              {
                abortSignal: ctx.abortSignal,
              },
            );
            return { step, changed: true, detail: `removed ${DENY_POLICY_NAME}` };
          } catch (err) {
            if (isNotFound(err)) return { step, changed: false, detail: 'no deny policy' };
            throw err;
          }
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
          { abortSignal: ctx.abortSignal },
        );
        return { step, changed: true, detail: `${recorded.accessKeyId} back to ${recorded.status}` };
      });
    },

    async verify(f, ctx): Promise<Verification> {
      const { userName, keyId } = identify(f);
      return classified('verify access key', async () => {
        const status = await keyStatus(iamFor(f), userName, keyId, ctx);
        const denyWanted = ctx.options?.denyOlderSessions === true;
        const denyPresent = denyWanted
          ? await iamFor(f)
              .send(new GetUserPolicyCommand({ UserName: userName, PolicyName: DENY_POLICY_NAME }), {
                abortSignal: ctx.abortSignal,
              })
              .then(() => true)
              .catch(() => false)
          : true;
        return {
          passed: (status === 'Inactive' || status === undefined) && denyPresent,
          detail: `ListAccessKeys ${userName}: ${keyId} is ${status ?? 'gone'}${denyWanted ? `; session deny ${denyPresent ? 'in place' : 'missing'}` : ''}`,
          observed: { status: status ?? null },
          at: new Date().toISOString(),
        };
      });
    },
  };
}
