/**
 * Credentials for a member account: `sts:AssumeRole` into `arn:aws:iam::<account>:role/<roleName>` with the policy's
 * external id, cached and refreshed five minutes before they expire (one provider per account, concurrent callers
 * share one refresh).
 */
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';

/** How the worker reaches other accounts (from the policy's `crossAccount`). */
export interface CrossAccountOptions {
  readonly roleName: string;
  readonly externalId?: string;
  readonly sessionDurationSeconds?: number;
}

const REFRESH_BEFORE_MS = 5 * 60 * 1000;

/** A refreshing provider of the role's credentials in `account`. */
export function assumedRoleProvider(
  sts: STSClient,
  account: string,
  options: CrossAccountOptions,
  now: () => number = Date.now,
): AwsCredentialIdentityProvider {
  let current: AwsCredentialIdentity | undefined;
  let pending: Promise<AwsCredentialIdentity> | undefined;
  const fresh = () =>
    current?.expiration !== undefined && current.expiration.getTime() - now() > REFRESH_BEFORE_MS;
  const assume = async (): Promise<AwsCredentialIdentity> => {
    const out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${account}:role/${options.roleName}`,
        // Shows in the member account's CloudTrail as who made each change.
        RoleSessionName: 'remediator',
        ...(options.externalId ? { ExternalId: options.externalId } : {}),
        DurationSeconds: options.sessionDurationSeconds ?? 3600,
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey)
      throw new Error(`AssumeRole into ${account} returned no credentials`);
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
      ...(c.Expiration ? { expiration: c.Expiration } : {}),
    };
  };
  return async () => {
    if (fresh() && current) return current;
    pending ??= assume()
      .then((c) => {
        current = c;
        return c;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}

/** The account the worker's own credentials belong to, asked once. */
export function homeAccountOf(sts: STSClient): () => Promise<string> {
  let account: Promise<string> | undefined;
  return () => {
    account ??= sts.send(new GetCallerIdentityCommand({})).then((out) => {
      if (!out.Account) throw new Error('GetCallerIdentity returned no account');
      return out.Account;
    });
    // A failed lookup is retried on the next call rather than remembered.
    account.catch(() => {
      account = undefined;
    });
    return account;
  };
}
