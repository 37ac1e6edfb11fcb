/**
 * Dispositions' reasons are bounded and escaped (src/ingest/reason.ts): they quote attacker input into logs and into
 * the dead-letter queue's ErrorReason attribute.
 */
import { boundedReason, MAX_REASON_BYTES } from '../../src/ingest/reason';

/** Characters SQS accepts in a string attribute. */
const SQS_TEXT = /^[\t\n\r\u0020-\u{D7FF}\u{E000}-\u{FFFD}\u{10000}-\u{10FFFF}]*$/u;

it('leaves a short, printable reason as it is', () => {
  expect(boundedReason("no playbook for aws.config control 'cloudtrail-enabled'")).toBe(
    "no playbook for aws.config control 'cloudtrail-enabled'",
  );
  expect(boundedReason('Ω≈ç√ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢')).toBe('Ω≈ç√ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢');
});

it('escapes control, invisible and direction characters, and unpaired surrogates (SQS refuses them)', () => {
  // V8's JSON errors quote one UTF-16 unit: half of a surrogate pair.
  const reason = boundedReason(
    `message body is not JSON: Unexpected token '\ud842', "a\u0000\u0007\r\n\u202e\u200b"`,
  );
  expect(reason).toBe(
    `message body is not JSON: Unexpected token '\\ud842', "a\\u0000\\u0007\\u000d\\u000a\\u202e\\u200b"`,
  );
  expect(SQS_TEXT.test(reason)).toBe(true);
});

it('cuts a long reason to a bounded prefix, on a character boundary, saying how much was left out', () => {
  for (const unit of ['x', 'é', '€', '𝔘', '\u0000']) {
    const reason = boundedReason(`no playbook for control '${unit.repeat(200_000)}'`);
    expect(Buffer.byteLength(reason, 'utf8')).toBeLessThanOrEqual(MAX_REASON_BYTES);
    expect(reason).toMatch(/^no playbook for control '/);
    expect(reason).toMatch(/… \(\d+ more characters\)$/);
    expect(SQS_TEXT.test(reason)).toBe(true);
  }
});
