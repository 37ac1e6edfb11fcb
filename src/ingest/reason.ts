/**
 * Reasons the bridge logs and puts on dead-lettered messages (`ErrorReason`) quote parts of the message. Whoever can
 * put a message on the queue controls those parts, so a reason is bounded and made safe before it leaves the handler.
 */

/** Most UTF-8 bytes a reason takes: a bounded prefix of any quoted input, never a flood of logs or attributes. */
export const MAX_REASON_BYTES = 1024;

/**
 * Characters escaped as `\uXXXX`: every control character (SQS refuses most of them in a message attribute, and a
 * line break would split a plain-text log line), invisible and direction-changing format characters (they disguise
 * what a reason says), non-characters, and unpaired surrogates (not encodable as UTF-8).
 */
const UNSAFE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escapeUnsafe(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function utf8Length(codePoint: number): number {
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  if (codePoint < 0x10000) return 3;
  return 4;
}

/** `reason` with unsafe characters escaped, cut (on a character boundary) to at most `MAX_REASON_BYTES` bytes. */
export function boundedReason(reason: string): string {
  const safe = escapeUnsafe(reason);
  if (Buffer.byteLength(safe, 'utf8') <= MAX_REASON_BYTES) return safe;
  const suffix = (left: number) => `… (${left} more characters)`;
  const budget = MAX_REASON_BYTES - Buffer.byteLength(suffix(safe.length), 'utf8');
  let bytes = 0;
  let end = 0;
  for (const char of safe) {
    const size = utf8Length(char.codePointAt(0) ?? 0);
    if (bytes + size > budget) break;
    bytes += size;
    end += char.length;
  }
  return `${safe.slice(0, end)}${suffix(safe.length - end)}`;
}
