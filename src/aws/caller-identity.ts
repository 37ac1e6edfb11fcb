/**
 * Who the worker (or ingest) is in AWS: its account, for the policy's `self`, and its own role, which it must never
 * change (docs/architecture.md, Trust model: protected principals).
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';

/** The caller's account and ARN, from STS. */
export interface CallerIdentity {
  readonly account: string;
  readonly arn: string;
}

/** Asks STS who the credentials are (the default chain unless given). */
export async function callerIdentity(options: {
  region: string;
  endpoint?: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}): Promise<CallerIdentity> {
  const sts = new STSClient({
    region: options.region,
    maxAttempts: 3,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  try {
    const out = await sts.send(new GetCallerIdentityCommand({}));
    if (!out.Account || !out.Arn) throw new Error('STS GetCallerIdentity returned no account or ARN');
    return { account: out.Account, arn: out.Arn };
  } finally {
    sts.destroy();
  }
}

/** The role name in an assumed-role or role ARN (`arn:aws:sts::1:assumed-role/Name/session` ⇒ `Name`). */
export function roleNameOf(arn: string): string | undefined {
  return /:assumed-role\/([\w+=,.@-]+)\//.exec(arn)?.[1] ?? /:role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(arn)?.[1];
}
