/**
 * Reading STS's answer to a replayed `GetCallerIdentity` (docs/architecture.md, Trust model: signed operator
 * decisions). A small strict parse of the two shapes STS's query API returns; anything else is not an STS answer.
 */

/** The identity STS returned. */
export interface CallerIdentity {
  readonly arn: string;
  readonly userId: string;
  readonly account: string;
}

/** An STS error document. */
export interface StsError {
  readonly code: string;
  readonly message: string;
}

const ARN_PATTERN = /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):[\x21-\x7e]{1,2048}$/;

/** The text of the one `<name>` element inside `xml`, or undefined when there is none or more than one. */
function only(xml: string, name: string): string | undefined {
  const found = [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))];
  return found.length === 1 ? found[0]?.[1] : undefined;
}

/** The body of `<name …>…</name>` when the document has exactly one. */
function section(xml: string, name: string): string | undefined {
  const found = [...xml.matchAll(new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>`, 'g'))];
  return found.length === 1 ? found[0]?.[1] : undefined;
}

/** A `GetCallerIdentityResponse`'s identity; undefined unless it is well formed and consistent. */
export function parseCallerIdentity(xml: string): CallerIdentity | undefined {
  const result = section(section(xml, 'GetCallerIdentityResponse') ?? '', 'GetCallerIdentityResult');
  if (result === undefined) return undefined;
  const arn = only(result, 'Arn');
  const userId = only(result, 'UserId');
  const account = only(result, 'Account');
  if (arn === undefined || userId === undefined || account === undefined) return undefined;
  // The ARN's own account must be the one STS names: a mismatch is not an answer STS gives.
  if (!/^\d{12}$/.test(account) || ARN_PATTERN.exec(arn)?.[1] !== account) return undefined;
  if (!/^[\x21-\x7e]{1,256}$/.test(userId)) return undefined;
  return { arn, userId, account };
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** An `ErrorResponse`'s code and message (message unescaped, one line, at most 300 characters). */
export function parseStsError(xml: string): StsError | undefined {
  const error = section(section(xml, 'ErrorResponse') ?? '', 'Error');
  if (error === undefined) return undefined;
  const code = only(error, 'Code');
  if (code === undefined || !/^[A-Za-z0-9.]{1,100}$/.test(code)) return undefined;
  const message = (only(error, 'Message') ?? '')
    .replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => ENTITIES[name] ?? '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
  return { code, message };
}
