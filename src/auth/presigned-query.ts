/**
 * The checks a signed decision's query must pass before the worker sends it to STS (docs/architecture.md, Trust
 * model: signed operator decisions). STS proves who signed; these make sure what was signed is a short-lived
 * `GetCallerIdentity` bound to a decision digest. The lifetime in particular is ours to enforce: STS ignores
 * `X-Amz-Expires` on presigned requests and accepts them for 15 minutes after `X-Amz-Date`.
 */
import { DECISION_HEADER, MAX_SIGNATURE_TTL_SECONDS } from '../domain/decision';
import { STS_ACTION, STS_VERSION } from './sts-query';

/** How far ahead of the worker's clock a signature may be dated (the signer's clock may run fast). */
export const MAX_CLOCK_AHEAD_SECONDS = 300;

/** Longer queries are refused unread: a session token makes a genuine one about 2 KB. */
const MAX_QUERY_LENGTH = 8192;

const REQUIRED = [
  'Action',
  'Version',
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
] as const;
/** Everything a presigned `GetCallerIdentity` carries; any other parameter is not one the CLI wrote. */
const ALLOWED = new Set<string>([...REQUIRED, 'X-Amz-Security-Token']);
/** The headers the worker sends, and so the only ones a signature may cover. */
const SIGNED_HEADERS = ['host', DECISION_HEADER].sort();

/** A query that passed: its parameters in order, decoded. */
export type QueryCheck =
  | { readonly ok: true; readonly params: readonly (readonly [string, string])[] }
  | { readonly ok: false; readonly reason: string };

function refuse(reason: string): QueryCheck {
  return { ok: false, reason };
}

/** Splits and decodes `name=value&…`; undefined when a pair or its percent-encoding is malformed. */
function parse(query: string): [string, string][] | undefined {
  const params: [string, string][] = [];
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if (eq < 1) return undefined;
    try {
      params.push([decodeURIComponent(pair.slice(0, eq)), decodeURIComponent(pair.slice(eq + 1))]);
    } catch {
      return undefined;
    }
  }
  return params;
}

/** `yyyymmddThhmmssZ` as SigV4 writes it; undefined when it is not a real instant. */
function amzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.000Z`;
  const date = new Date(iso);
  // The round trip refuses dates a parser would roll over (February 30th) or not read at all.
  return !Number.isNaN(date.getTime()) && date.toISOString() === iso ? date : undefined;
}

function checkSignedHeaders(value: string): string | undefined {
  const headers = value.split(';');
  if (!headers.includes(DECISION_HEADER)) {
    return `the signature does not cover the ${DECISION_HEADER} header, so it is bound to no decision`;
  }
  if (!headers.includes('host')) return 'the signature does not cover the host header';
  if ([...headers].sort().join(';') !== SIGNED_HEADERS.join(';')) {
    return `the signature must cover exactly the headers ${SIGNED_HEADERS.join(' and ')}, it covers '${value}'`;
  }
  return undefined;
}

function checkTime(date: string, expires: string, now: Date): string | undefined {
  if (!/^\d{1,7}$/.test(expires)) return `X-Amz-Expires is not a number of seconds: '${expires}'`;
  const ttl = Number(expires);
  if (ttl < 1 || ttl > MAX_SIGNATURE_TTL_SECONDS) {
    return `X-Amz-Expires is ${ttl} s; a decision signature lasts at most ${MAX_SIGNATURE_TTL_SECONDS} s`;
  }
  const signedAt = amzDate(date);
  if (!signedAt) return `X-Amz-Date is not a SigV4 date: '${date}'`;
  const expiresAt = new Date(signedAt.getTime() + ttl * 1000);
  if (now.getTime() > expiresAt.getTime()) {
    return `the signature expired at ${expiresAt.toISOString()} (signed ${signedAt.toISOString()}, valid ${ttl} s)`;
  }
  if (signedAt.getTime() - now.getTime() > MAX_CLOCK_AHEAD_SECONDS * 1000) {
    return `the signature is dated ${signedAt.toISOString()}, more than ${MAX_CLOCK_AHEAD_SECONDS} s ahead of the worker's clock (${now.toISOString()})`;
  }
  return undefined;
}

/** Checks a presigned `GetCallerIdentity` query against the rules above, at `now`. */
export function checkPresignedQuery(query: string, now: Date): QueryCheck {
  if (query.length === 0 || query.length > MAX_QUERY_LENGTH) {
    return refuse(`the signed request's query is empty or longer than ${MAX_QUERY_LENGTH} characters`);
  }
  const params = parse(query);
  if (!params) return refuse("the signed request's query does not parse (name=value pairs, percent-encoded)");
  const byName = new Map<string, string>();
  for (const [name, value] of params) {
    if (!ALLOWED.has(name))
      return refuse(`the signed request has a parameter a GetCallerIdentity presign does not: '${name}'`);
    if (byName.has(name)) return refuse(`the signed request names ${name} twice`);
    byName.set(name, value);
  }
  const missing = REQUIRED.filter((name) => !byName.get(name));
  if (missing.length > 0) return refuse(`the signed request lacks ${missing.join(', ')}`);
  const get = (name: (typeof REQUIRED)[number]): string => byName.get(name) ?? '';
  if (get('Action') !== STS_ACTION) {
    return refuse(`the signed request is not sts:${STS_ACTION} (Action=${get('Action')})`);
  }
  if (get('Version') !== STS_VERSION) return refuse(`the signed request's Version is not ${STS_VERSION}`);
  if (get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') {
    return refuse(`X-Amz-Algorithm must be AWS4-HMAC-SHA256, got '${get('X-Amz-Algorithm')}'`);
  }
  const scope = /^([^/]{1,128})\/(\d{8})\/[a-z0-9-]{1,32}\/sts\/aws4_request$/.exec(get('X-Amz-Credential'));
  if (!scope) return refuse('X-Amz-Credential is not <access key>/<date>/<region>/sts/aws4_request');
  // Named apart from the scope's shape: an operator whose key id is not AWS's (an emulator's `local-emulator`) must
  // learn that it is the key id, not the date or region, that no AWS signer writes.
  if (!/^[A-Za-z0-9]+$/.test(scope[1] ?? '')) {
    return refuse("X-Amz-Credential's access key id is not an AWS access key id (letters and digits only)");
  }
  if (scope[2] !== get('X-Amz-Date').slice(0, 8))
    return refuse("X-Amz-Credential's date is not X-Amz-Date's");
  const headerProblem = checkSignedHeaders(get('X-Amz-SignedHeaders'));
  if (headerProblem) return refuse(headerProblem);
  const timeProblem = checkTime(get('X-Amz-Date'), get('X-Amz-Expires'), now);
  if (timeProblem) return refuse(timeProblem);
  if (!/^[0-9a-f]{64}$/.test(get('X-Amz-Signature'))) return refuse('X-Amz-Signature is not 64 hex digits');
  return { ok: true, params };
}
