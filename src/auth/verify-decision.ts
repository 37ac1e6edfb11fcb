/**
 * Verifying a signed operator decision (docs/architecture.md, Trust model: signed operator decisions). The worker
 * checks the presigned query itself, then replays it to the STS endpoint of ITS OWN configuration (never one a
 * request names) with the digest of the decision it is about to act on; STS answers with the signer's ARN only if the
 * signature, made over that digest and the endpoint's host, is genuine.
 *
 * The endpoint comes from the worker's config (`stsVerifyEndpoint` in `src/config.ts`, docs/architecture.md,
 * Environment). SigV4 signs the `host`, so the CLI must sign for that same endpoint; fetch derives `Host` from the
 * URL, so it always is the endpoint's host.
 */
import { DECISION_HEADER } from '../domain/decision';
import type { DecisionClaim, IdentityCheck, SignedIdentity } from '../domain/decision';
import { checkPresignedQuery } from './presigned-query';
import { decisionDigest } from './sign-decision';
import { formatQuery } from './sts-query';
import { parseCallerIdentity, parseStsError } from './sts-response';

/** How `createIdentityVerifier` reaches STS. */
export interface IdentityVerifierOptions {
  /** The worker's STS endpoint (`stsVerifyEndpoint`): an http(s) URL without query or fragment. */
  readonly stsEndpoint: string;
  /** The fetch to use (tests inject one); default the global. */
  readonly fetch?: typeof fetch;
  /** The worker's clock for the lifetime checks; default `new Date()`. */
  readonly now?: () => Date;
  /** How long to wait for STS, default 5000 ms. */
  readonly timeoutMs?: number;
}

/**
 * Checks one decision's signature: `{ ok: true, arn, account }` when STS vouches for it, `{ ok: false, reason }` when
 * the signature is missing, malformed, expired, made for another decision or refused by STS. Throws when STS cannot
 * be asked (network failure, timeout, throttling, a 5xx, an answer that is not STS's): that is not the signer's fault,
 * so the activity retries.
 */
export type IdentityVerifier = (
  claim: DecisionClaim,
  signed: SignedIdentity | undefined,
) => Promise<IdentityCheck>;

/** STS error codes that say "try again", not "no". */
const RETRYABLE = new Set([
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'InternalFailure',
  'InternalError',
]);

/** STS answers are small; a larger body is not one. */
const MAX_RESPONSE_LENGTH = 65_536;

function refused(reason: string): IdentityCheck {
  return { ok: false, reason };
}

/** Builds the verifier for one STS endpoint; throws if the endpoint is not an http(s) URL. */
export function createIdentityVerifier(options: IdentityVerifierOptions): IdentityVerifier {
  const endpoint = new URL(options.stsEndpoint);
  if ((endpoint.protocol !== 'https:' && endpoint.protocol !== 'http:') || endpoint.search || endpoint.hash) {
    throw new Error(
      `the STS endpoint must be an http(s) URL without query or fragment, got '${options.stsEndpoint}'`,
    );
  }
  const base = `${endpoint.origin}${endpoint.pathname}`;
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? 5000;

  return async (claim, signed) => {
    if (!signed) return refused('the decision is not signed with an AWS identity');
    const query = checkPresignedQuery(signed.query, now());
    if (!query.ok) return query;
    if (signed.digest !== decisionDigest(claim)) {
      return refused(
        'signed for another decision: the signature is over a different kind, target, request id, reason or terms',
      );
    }
    // Re-written from the checked values, so STS reads exactly what was checked.
    const url = `${base}?${formatQuery(query.params)}`;
    let status: number;
    let body: string;
    try {
      const response = await doFetch(url, {
        method: 'GET',
        headers: { [DECISION_HEADER]: signed.digest },
        // A redirect would carry the signature somewhere the worker did not choose.
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.status;
      body = await response.text();
    } catch (err) {
      throw new Error(`STS at ${base} could not be asked: ${(err as Error).message}`, { cause: err });
    }
    if (body.length > MAX_RESPONSE_LENGTH)
      throw new Error(`STS at ${base} answered ${body.length} characters`);
    if (status === 200) {
      const identity = parseCallerIdentity(body);
      if (!identity) throw new Error(`STS at ${base} answered 200 without a well-formed caller identity`);
      return { ok: true, arn: identity.arn, account: identity.account };
    }
    const error = parseStsError(body);
    if (!error || status >= 500 || RETRYABLE.has(error.code)) {
      throw new Error(
        `STS at ${base} answered HTTP ${status}${error ? ` ${error.code}: ${error.message}` : ''}`,
      );
    }
    return refused(`STS refused the signature: ${error.code}${error.message ? `: ${error.message}` : ''}`);
  };
}
