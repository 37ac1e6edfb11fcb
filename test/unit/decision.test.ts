/**
 * Operator decisions (docs/architecture.md, Trust model): the canonical text a signature covers, the digest of it,
 * the approver patterns, the SHA-256 the signer uses and where the worker's STS endpoint comes from.
 */
import { Sha256 } from '../../src/auth/sha256';
import { decisionDigest } from '../../src/auth/sign-decision';
import { ConfigError, stsVerifyEndpoint } from '../../src/config';
import { claimText, isApprover } from '../../src/domain/decision';
import type { DecisionClaim } from '../../src/domain/decision';

const CLAIM: DecisionClaim = {
  kind: 'exempt',
  target: 'remediation/123456789012/eu-west-1/AWS::EC2::SecurityGroup/sg-0123456789abcdef0',
  requestId: '6f1c2d8e-4b7a-4c1e-9d3f-2a5b8c7e9f01',
  reason: 'CHG-42 maintenance window',
  terms: { until: '2030-01-01T00:00:00Z', resource: 'sg-0123456789abcdef0' },
};

describe('claimText', () => {
  it('is stable: one JSON string per field, terms sorted by key', () => {
    expect(claimText(CLAIM)).toBe(
      [
        'remediator-decision/1',
        '"exempt"',
        '"remediation/123456789012/eu-west-1/AWS::EC2::SecurityGroup/sg-0123456789abcdef0"',
        '"6f1c2d8e-4b7a-4c1e-9d3f-2a5b8c7e9f01"',
        '"CHG-42 maintenance window"',
        '"resource"="sg-0123456789abcdef0"',
        '"until"="2030-01-01T00:00:00Z"',
      ].join('\n'),
    );
    // Pinned: a change here breaks every signature made by a CLI of another version.
    expect(decisionDigest(CLAIM)).toBe('76f58fa83e7a684ad112c95bdf4a39011baafcad29d1dd98d0715bea7bfe94bd');
  });

  it('does not depend on the order terms were written in', () => {
    const reordered = {
      ...CLAIM,
      terms: { resource: 'sg-0123456789abcdef0', until: '2030-01-01T00:00:00Z' },
    };
    expect(claimText(reordered)).toBe(claimText(CLAIM));
  });

  it('changes with every field', () => {
    const variants: DecisionClaim[] = [
      { ...CLAIM, kind: 'reject' },
      { ...CLAIM, target: `${CLAIM.target}x` },
      { ...CLAIM, requestId: 'another' },
      { ...CLAIM, reason: `${CLAIM.reason}.` },
      { ...CLAIM, terms: { ...CLAIM.terms, until: '2031-01-01T00:00:00Z' } },
      { ...CLAIM, terms: { ...CLAIM.terms, force: 'true' } },
      { ...CLAIM, terms: undefined },
    ];
    const texts = new Set([CLAIM, ...variants].map(claimText));
    expect(texts.size).toBe(variants.length + 1);
  });

  it('cannot be forged by moving text between fields (newlines, "=" in keys)', () => {
    const pairs: [DecisionClaim, DecisionClaim][] = [
      [
        { ...CLAIM, reason: 'ok\n"force"="true"', terms: {} },
        { ...CLAIM, reason: 'ok', terms: { force: 'true' } },
      ],
      [
        { ...CLAIM, target: 'a\nb', requestId: 'c' },
        { ...CLAIM, target: 'a', requestId: 'b\nc' },
      ],
      [
        { ...CLAIM, terms: { 'a=b': 'c' } },
        { ...CLAIM, terms: { a: 'b=c' } },
      ],
      // Lone surrogates would both become U+FFFD in UTF-8 without escaping.
      [
        { ...CLAIM, reason: '\ud800' },
        { ...CLAIM, reason: '\udc00' },
      ],
    ];
    for (const [a, b] of pairs) {
      expect(claimText(a)).not.toBe(claimText(b));
      expect(decisionDigest(a)).not.toBe(decisionDigest(b));
    }
  });
});

describe('isApprover', () => {
  const SSO_ADMIN = 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_SecurityAdmin_*/*';
  const approvers = {
    '*': [SSO_ADMIN],
    'iam-contain-access-key': ['arn:aws:iam::111122223333:user/alice'],
  };

  it.each([
    [
      'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_SecurityAdmin_0123456789abcdef/alice@example.com',
      true,
    ],
    ['arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_SecurityAdmin_fedcba9876543210/bob', true],
    ['arn:aws:sts::444455556666:assumed-role/AWSReservedSSO_SecurityAdmin_0123456789abcdef/alice', false],
    ['arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_ReadOnly_0123456789abcdef/alice', false],
    ['arn:aws:sts::111122223333:assumed-role/SecurityAdmin/alice', false],
    ['arn:aws:iam::111122223333:user/alice', false],
  ])('matches the SSO permission-set pattern under * for %s: %s', (arn, expected) => {
    expect(isApprover(approvers, 'sg-close-admin-ports', arn)).toBe(expected);
    expect(isApprover(approvers, undefined, arn)).toBe(expected);
  });

  it("uses a playbook's own list instead of *", () => {
    const sso = 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_SecurityAdmin_0123456789abcdef/alice';
    expect(isApprover(approvers, 'iam-contain-access-key', 'arn:aws:iam::111122223333:user/alice')).toBe(
      true,
    );
    expect(isApprover(approvers, 'iam-contain-access-key', sso)).toBe(false);
  });

  it('matches whole ARNs only, and regex characters literally', () => {
    const exact = { '*': ['arn:aws:iam::111122223333:user/a.b', 'arn:aws:iam::111122223333:role/x(y)+'] };
    expect(isApprover(exact, undefined, 'arn:aws:iam::111122223333:user/a.b')).toBe(true);
    expect(isApprover(exact, undefined, 'arn:aws:iam::111122223333:user/aXb')).toBe(false);
    expect(isApprover(exact, undefined, 'arn:aws:iam::111122223333:user/a.b-evil')).toBe(false);
    expect(isApprover(exact, undefined, 'prefix:arn:aws:iam::111122223333:user/a.b')).toBe(false);
    expect(isApprover(exact, undefined, 'arn:aws:iam::111122223333:role/x(y)+')).toBe(true);
    expect(isApprover(exact, undefined, 'arn:aws:iam::111122223333:role/xyy')).toBe(false);
  });

  it('refuses everyone without patterns, and * alone admits every ARN', () => {
    expect(isApprover({}, 'any', 'arn:aws:iam::111122223333:user/alice')).toBe(false);
    expect(isApprover({ '*': [] }, 'any', 'arn:aws:iam::111122223333:user/alice')).toBe(false);
    expect(isApprover({ '*': ['*'] }, 'any', 'arn:aws:iam::111122223333:user/alice')).toBe(true);
  });

  it('does not take a playbook named like an Object member for a list of its own', () => {
    expect(isApprover(approvers, 'constructor', 'arn:aws:iam::111122223333:user/alice')).toBe(false);
    expect(isApprover(approvers, '__proto__', SSO_ADMIN.replace(/\*/g, 'x'))).toBe(true);
  });
});

describe('Sha256 (the signer hash)', () => {
  const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

  it('computes SHA-256 (FIPS 180-2 "abc") and resets', async () => {
    const hash = new Sha256();
    hash.update(new TextEncoder().encode('abc'));
    const abc = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(hex(await hash.digest())).toBe(abc);
    hash.reset();
    hash.update(new TextEncoder().encode('a'));
    hash.update(new TextEncoder().encode('bc'));
    expect(hex(await hash.digest())).toBe(abc);
  });

  it('computes HMAC-SHA256 with a secret (RFC 4231 test case 2) and keeps the key across reset', async () => {
    const mac = new Sha256('Jefe');
    const expected = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843';
    mac.update(new TextEncoder().encode('what do ya want for nothing?'));
    expect(hex(await mac.digest())).toBe(expected);
    mac.reset();
    mac.update(new TextEncoder().encode('what do ya want for nothing?'));
    expect(hex(await mac.digest())).toBe(expected);
  });
});

describe('stsVerifyEndpoint', () => {
  it('prefers STS_VERIFY_ENDPOINT, then AWS_ENDPOINT_URL_STS, then AWS_ENDPOINT_URL, then the regional endpoint', () => {
    const all = {
      STS_VERIFY_ENDPOINT: 'https://sts.vpce.example',
      AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:1',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:2',
    };
    expect(stsVerifyEndpoint(all, 'eu-west-1')).toBe('https://sts.vpce.example');
    expect(stsVerifyEndpoint({ ...all, STS_VERIFY_ENDPOINT: undefined }, 'eu-west-1')).toBe(
      'http://127.0.0.1:1',
    );
    expect(stsVerifyEndpoint({ AWS_ENDPOINT_URL: 'http://127.0.0.1:2' }, 'eu-west-1')).toBe(
      'http://127.0.0.1:2',
    );
    expect(stsVerifyEndpoint({}, 'eu-west-1')).toBe('https://sts.eu-west-1.amazonaws.com');
    expect(stsVerifyEndpoint({}, 'cn-north-1')).toBe('https://sts.cn-north-1.amazonaws.com.cn');
  });

  it('refuses a malformed endpoint naming the variable', () => {
    expect(() => stsVerifyEndpoint({ STS_VERIFY_ENDPOINT: 'sts.example' }, 'eu-west-1')).toThrow(ConfigError);
    expect(() => stsVerifyEndpoint({ STS_VERIFY_ENDPOINT: 'ftp://sts.example' }, 'eu-west-1')).toThrow(
      /STS_VERIFY_ENDPOINT must be an http\(s\) URL/,
    );
    expect(() => stsVerifyEndpoint({}, 'not a region')).toThrow(ConfigError);
  });
});
