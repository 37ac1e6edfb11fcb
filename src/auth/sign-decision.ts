/**
 * Signing an operator decision with the operator's AWS identity (docs/architecture.md, Trust model: signed operator
 * decisions), as Vault's AWS auth method and aws-iam-authenticator do: the CLI presigns an `sts:GetCallerIdentity`
 * request whose signed header `x-remediator-decision` carries the digest of exactly what it decides. Only the query
 * string and the digest travel; no secret does, and the worker learns who signed by asking STS.
 */
import { createHash } from 'node:crypto';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { SignatureV4 } from '@smithy/signature-v4';
import { claimText, DECISION_HEADER, MAX_SIGNATURE_TTL_SECONDS } from '../domain/decision';
import type { DecisionClaim, SignedIdentity } from '../domain/decision';
import { Sha256 } from './sha256';
import { defaultStsEndpoint, formatQuery, STS_ACTION, STS_VERSION } from './sts-query';

/** Hex SHA-256 of the claim's canonical text (`claimText`): the value of the signed `x-remediator-decision` header. */
export function decisionDigest(claim: DecisionClaim): string {
  return createHash('sha256').update(claimText(claim), 'utf8').digest('hex');
}

/** How `signDecision` signs. */
export interface SignDecisionOptions {
  /** The region of the STS endpoint (part of the SigV4 credential scope). */
  readonly region: string;
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /**
   * The STS endpoint the worker verifies against (its `STS_VERIFY_ENDPOINT`, docs/architecture.md, Environment):
   * SigV4 signs the `host`, so a signature made for another host fails at the worker's STS. Default
   * `https://sts.<region>.amazonaws.com`.
   */
  readonly endpoint?: string;
  /** The signing time; default now. */
  readonly now?: Date;
  /** `X-Amz-Expires`: 1 to 300 seconds, default 300. The worker enforces it (STS itself does not). */
  readonly expiresInSeconds?: number;
}

/**
 * Presigns `GET /?Action=GetCallerIdentity&Version=2011-06-15` for the claim and returns the query string (everything
 * after `?`) with the digest. Throws a `RangeError` for a lifetime outside 1..300 s or an endpoint that is not an
 * http(s) URL.
 */
export async function signDecision(
  claim: DecisionClaim,
  options: SignDecisionOptions,
): Promise<SignedIdentity> {
  const expiresIn = options.expiresInSeconds ?? MAX_SIGNATURE_TTL_SECONDS;
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_SIGNATURE_TTL_SECONDS) {
    throw new RangeError(
      `a decision signature lasts 1 to ${MAX_SIGNATURE_TTL_SECONDS} seconds, got ${expiresIn}`,
    );
  }
  const endpoint = new URL(options.endpoint ?? defaultStsEndpoint(options.region));
  if (endpoint.protocol !== 'https:' && endpoint.protocol !== 'http:') {
    throw new RangeError(`the STS endpoint must be an http(s) URL, got '${options.endpoint}'`);
  }
  const digest = decisionDigest(claim);
  const signer = new SignatureV4({
    service: 'sts',
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
  });
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
      path: endpoint.pathname,
      query: { Action: STS_ACTION, Version: STS_VERSION },
      // `host` as fetch will send it to this URL (port only when not the default), so STS recomputes the same.
      headers: { host: endpoint.host, [DECISION_HEADER]: digest },
    },
    { signingDate: options.now ?? new Date(), expiresIn },
  );
  const params: [string, string][] = [];
  for (const [name, value] of Object.entries(presigned.query ?? {})) {
    // The presigner writes one string per parameter; anything else would be a change in the library.
    if (typeof value !== 'string')
      throw new Error(`presigned query parameter ${name} is not a single string`);
    params.push([name, value]);
  }
  return { query: formatQuery(params), digest };
}

/**
 * The operator's credentials from the AWS SDK's default chain (environment, SSO, shared files, process, web identity,
 * container and instance metadata), as resolved for an STS client: the identity `aws sts get-caller-identity` would
 * show. `region` helps providers that call AWS themselves (SSO, web identity).
 */
export async function defaultCredentials(region?: string): Promise<AwsCredentialIdentity> {
  const sts = new STSClient(region ? { region } : {});
  try {
    return await sts.config.credentials();
  } finally {
    sts.destroy();
  }
}
