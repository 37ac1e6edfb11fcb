/**
 * What the signer and the verifier of operator decisions must agree on (docs/architecture.md, Trust model): the STS
 * action, its API version, the default endpoint, and how a query string is written.
 */

/** The only STS action a decision signature may be. */
export const STS_ACTION = 'GetCallerIdentity';
/** The STS query API version. */
export const STS_VERSION = '2011-06-15';

/** The regional STS endpoint (China regions live under `amazonaws.com.cn`). */
export function defaultStsEndpoint(region: string): string {
  return `https://sts.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

/** RFC 3986 percent-encoding, as SigV4 canonicalises: no `+` for space, `!'()*` encoded too. */
function encode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * Writes query parameters in order, strictly encoded, so that what the receiver decodes is exactly the values given
 * (a raw `#`, `+` or `&` can never change what STS reads).
 */
export function formatQuery(params: Iterable<readonly [string, string]>): string {
  return [...params].map(([name, value]) => `${encode(name)}=${encode(value)}`).join('&');
}
