/**
 * Operator decisions signed with AWS identity (docs/architecture.md, Trust model): the CLI's presigned
 * `sts:GetCallerIdentity`, checked by the worker and replayed to its own STS endpoint. moto answers GetCallerIdentity
 * without checking any signature, so forgery is tested against a local STS stand-in that checks the signature with
 * the test secret; moto shows the genuine path end to end.
 */
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { decisionDigest, signDecision } from '../../src/auth/sign-decision';
import type { SignDecisionOptions } from '../../src/auth/sign-decision';
import { createIdentityVerifier } from '../../src/auth/verify-decision';
import type { IdentityVerifierOptions } from '../../src/auth/verify-decision';
import { isApprover } from '../../src/domain/decision';
import type { DecisionClaim, SignedIdentity } from '../../src/domain/decision';
import type { MotoServer } from '../../src/devstack/moto-server';
import { FIXTURE_ACCOUNT, TEST_CREDENTIALS } from '../helpers/aws';
import { startSuiteMoto } from '../helpers/servers';
import { startMotoStsRoute, startStsStandIn } from '../helpers/sts-stand-in';
import type { StsStandIn } from '../helpers/sts-stand-in';

const REGION = 'eu-west-1';
const ADMIN_ARN =
  'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_SecurityAdmin_0123456789abcdef/alice@example.com';
const ADMIN = {
  accessKeyId: 'ASIAQEXAMPLEADMIN001',
  secretAccessKey: 'test-secret-of-the-security-admin-0001',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE/session+token==',
};
const SSO_ADMINS = { '*': ['arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_SecurityAdmin_*/*'] };

const CLAIM: DecisionClaim = {
  kind: 'approve',
  target: 'remediation/111122223333/eu-west-1/AWS::EC2::SecurityGroup/sg-0123456789abcdef0',
  requestId: '0b7f6a52-31c4-4f0e-a0c5-7d9e2b1f3a64',
  reason: 'CHG-42: close port 22 now',
  terms: { mode: 'enforce' },
};

let sts: StsStandIn;

beforeAll(async () => {
  sts = await startStsStandIn({
    [ADMIN.accessKeyId]: { secret: ADMIN.secretAccessKey, arn: ADMIN_ARN, account: '111122223333' },
  });
});
afterAll(async () => {
  await sts.stop();
});

function sign(
  claim: DecisionClaim = CLAIM,
  options: Partial<SignDecisionOptions> = {},
): Promise<SignedIdentity> {
  return signDecision(claim, { region: REGION, endpoint: sts.endpoint, credentials: ADMIN, ...options });
}

function verifier(options: Partial<IdentityVerifierOptions> = {}) {
  return createIdentityVerifier({ stsEndpoint: sts.endpoint, ...options });
}

/** Runs `check` and returns its outcome with how many requests reached STS meanwhile. */
async function counted<T>(check: () => Promise<T>): Promise<{ result: T; stsCalls: number }> {
  const before = sts.requestCount();
  const result = await check();
  return { result, stsCalls: sts.requestCount() - before };
}

function editQuery(signed: SignedIdentity, name: string, value: string): SignedIdentity {
  const params = new URLSearchParams(signed.query);
  params.set(name, value);
  return { ...signed, query: params.toString() };
}

describe('signed operator decisions against a local STS stand-in that checks the signature with the test secret', () => {
  it("accepts a genuine signature and returns the signer's ARN", async () => {
    const signed = await sign();
    expect(signed.digest).toBe(decisionDigest(CLAIM));
    expect(signed.query).toMatch(/^Action=GetCallerIdentity&Version=2011-06-15&/);
    expect(signed.query).toContain('X-Amz-Expires=300&');
    expect(signed.query).toContain('X-Amz-SignedHeaders=host%3Bx-remediator-decision&');
    const { result, stsCalls } = await counted(() => verifier()(CLAIM, signed));
    expect(result).toEqual({ ok: true, arn: ADMIN_ARN, account: '111122223333' });
    expect(stsCalls).toBe(1);
    expect(sts.decisionHeaders().at(-1)).toBe(signed.digest);
    expect(result.ok && isApprover(SSO_ADMINS, 'sg-close-admin-ports', result.arn)).toBe(true);
  });

  it('refuses a signature made with the wrong secret (forged): STS answers SignatureDoesNotMatch', async () => {
    const forged = await sign(CLAIM, { credentials: { ...ADMIN, secretAccessKey: 'guessed-secret' } });
    const { result, stsCalls } = await counted(() => verifier()(CLAIM, forged));
    expect(result).toEqual({
      ok: false,
      reason: expect.stringMatching(/^STS refused the signature: SignatureDoesNotMatch/),
    });
    expect(stsCalls).toBe(1);
  });

  it('refuses an access key STS does not know: InvalidClientTokenId', async () => {
    const unknown = await sign(CLAIM, {
      credentials: { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' },
    });
    expect(await verifier()(CLAIM, unknown)).toEqual({
      ok: false,
      reason: expect.stringMatching(/^STS refused the signature: InvalidClientTokenId/),
    });
  });

  it.each<[string, DecisionClaim]>([
    ['an altered reason', { ...CLAIM, reason: 'CHG-43: open everything' }],
    ['another decision kind', { ...CLAIM, kind: 'reject' }],
    [
      'another target',
      { ...CLAIM, target: 'remediation/111122223333/eu-west-1/AWS::EC2::SecurityGroup/sg-other' },
    ],
    ['another request id', { ...CLAIM, requestId: '5e0c9f1a-8d2b-4c7e-b6a3-1f4e9d0c2b75' }],
    ['altered terms', { ...CLAIM, terms: { mode: 'enforce', force: 'true' } }],
  ])('refuses a signature presented for %s, before STS is called', async (_, other) => {
    const signed = await sign();
    const { result, stsCalls } = await counted(() => verifier()(other, signed));
    expect(result).toEqual({ ok: false, reason: expect.stringMatching(/^signed for another decision/) });
    expect(stsCalls).toBe(0);
  });

  it("refuses a signature replayed with another decision's digest: STS finds the signed header changed", async () => {
    const signed = await sign();
    const other = { ...CLAIM, reason: 'CHG-43: open everything' };
    const { result, stsCalls } = await counted(() =>
      verifier()(other, { query: signed.query, digest: decisionDigest(other) }),
    );
    expect(result).toEqual({ ok: false, reason: expect.stringMatching(/SignatureDoesNotMatch/) });
    expect(stsCalls).toBe(1);
  });

  it('refuses a signature made 10 minutes ago as expired, before STS is called', async () => {
    const signedAt = new Date(Date.now() - 10 * 60_000);
    const signed = await sign(CLAIM, { now: signedAt });
    const expiredAt = new Date(Math.floor(signedAt.getTime() / 1000) * 1000 + 300_000).toISOString();
    const { result, stsCalls } = await counted(() => verifier()(CLAIM, signed));
    expect(result).toEqual({
      ok: false,
      reason: expect.stringContaining(`the signature expired at ${expiredAt}`),
    });
    expect(stsCalls).toBe(0);
  });

  it('enforces the 300 s itself: STS would still accept a 6-minute-old signature, the worker does not', async () => {
    const signed = await sign(CLAIM, { now: new Date(Date.now() - 6 * 60_000) });
    const direct = await fetch(`${sts.endpoint}/?${signed.query}`, {
      headers: { 'x-remediator-decision': signed.digest },
    });
    expect(direct.status).toBe(200);
    const { result, stsCalls } = await counted(() => verifier()(CLAIM, signed));
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('the signature expired at') });
    expect(stsCalls).toBe(0);
  });

  it("refuses a signature dated more than 5 minutes ahead of the worker's clock", async () => {
    const signed = await sign(CLAIM, { now: new Date(Date.now() + 10 * 60_000) });
    const { result, stsCalls } = await counted(() => verifier()(CLAIM, signed));
    expect(result).toEqual({ ok: false, reason: expect.stringMatching(/ahead of the worker's clock/) });
    expect(stsCalls).toBe(0);
  });

  it('refuses X-Amz-Expires above 300 s (query edited to 900) on the lifetime check, before STS is called', async () => {
    const longer = editQuery(await sign(), 'X-Amz-Expires', '900');
    const { result, stsCalls } = await counted(() => verifier()(CLAIM, longer));
    expect(result).toEqual({
      ok: false,
      reason: 'X-Amz-Expires is 900 s; a decision signature lasts at most 300 s',
    });
    expect(stsCalls).toBe(0);
    // And the edit breaks the signature anyway.
    const direct = await fetch(`${sts.endpoint}/?${longer.query}`, {
      headers: { 'x-remediator-decision': longer.digest },
    });
    expect(direct.status).toBe(403);
    expect(await direct.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('refuses a lifetime above 300 s when signing', async () => {
    await expect(sign(CLAIM, { expiresInSeconds: 301 })).rejects.toThrow(RangeError);
  });

  it.each<[string, (s: SignedIdentity) => SignedIdentity, RegExp]>([
    [
      'Action other than GetCallerIdentity',
      (s) => editQuery(s, 'Action', 'AssumeRole'),
      /not sts:GetCallerIdentity \(Action=AssumeRole\)/,
    ],
    [
      'another algorithm',
      (s) => editQuery(s, 'X-Amz-Algorithm', 'AWS4-HMAC-SHA1'),
      /X-Amz-Algorithm must be AWS4-HMAC-SHA256/,
    ],
    [
      'no decision header signed',
      (s) => editQuery(s, 'X-Amz-SignedHeaders', 'host'),
      /does not cover the x-remediator-decision header/,
    ],
    [
      'no host signed',
      (s) => editQuery(s, 'X-Amz-SignedHeaders', 'x-remediator-decision'),
      /does not cover the host header/,
    ],
    [
      'more headers signed',
      (s) => editQuery(s, 'X-Amz-SignedHeaders', 'host;x-amz-meta;x-remediator-decision'),
      /exactly the headers/,
    ],
    [
      'a parameter of another action',
      (s) => ({ ...s, query: `${s.query}&RoleArn=x` }),
      /parameter .* does not: 'RoleArn'/,
    ],
    [
      'a parameter named twice',
      (s) => ({ ...s, query: `${s.query}&Action=GetCallerIdentity` }),
      /names Action twice/,
    ],
    ['a malformed query', (s) => ({ ...s, query: `${s.query}&%zz=1` }), /does not parse/],
    [
      'no signature',
      (s) => ({ ...s, query: s.query.replace(/&X-Amz-Signature=[0-9a-f]+/, '') }),
      /lacks X-Amz-Signature/,
    ],
  ])('refuses a query with %s, before STS is called', async (_, edit, reason) => {
    const signed = edit(await sign());
    const { result, stsCalls } = await counted(() => verifier()(CLAIM, signed));
    expect(result).toEqual({ ok: false, reason: expect.stringMatching(reason) });
    expect(stsCalls).toBe(0);
  });

  it('refuses an unsigned decision', async () => {
    const { result, stsCalls } = await counted(() => verifier()(CLAIM, undefined));
    expect(result).toEqual({ ok: false, reason: 'the decision is not signed with an AWS identity' });
    expect(stsCalls).toBe(0);
  });

  it('refuses a key id AWS never issues (a hyphen, as an emulator key may have), naming the key id, before STS is called', async () => {
    const signed = await sign(CLAIM, { credentials: { ...ADMIN, accessKeyId: 'local-emulator' } });
    const { result, stsCalls } = await counted(() => verifier()(CLAIM, signed));
    expect(result).toEqual({
      ok: false,
      reason: "X-Amz-Credential's access key id is not an AWS access key id (letters and digits only)",
    });
    expect(stsCalls).toBe(0);
  });

  it("refuses a signature made for another STS host: STS recomputes it with the worker's endpoint", async () => {
    const elsewhere = await sign(CLAIM, { endpoint: `https://sts.${REGION}.amazonaws.com` });
    expect(await verifier()(CLAIM, elsewhere)).toEqual({
      ok: false,
      reason: expect.stringMatching(/SignatureDoesNotMatch/),
    });
  });

  it("reports STS's own expiry with STS's code", async () => {
    const late = await startStsStandIn(
      { [ADMIN.accessKeyId]: { secret: ADMIN.secretAccessKey, arn: ADMIN_ARN, account: '111122223333' } },
      () => new Date(Date.now() + 20 * 60_000),
    );
    try {
      const signed = await sign(CLAIM, { endpoint: late.endpoint });
      expect(await createIdentityVerifier({ stsEndpoint: late.endpoint })(CLAIM, signed)).toEqual({
        ok: false,
        reason: expect.stringMatching(/^STS refused the signature: SignatureDoesNotMatch: Signature expired/),
      });
    } finally {
      await late.stop();
    }
  });
});

describe('signed operator decisions when STS cannot be asked', () => {
  const answering =
    (status: number, body: string): typeof fetch =>
    async () =>
      new Response(body, { status, headers: { 'content-type': 'text/xml' } });
  const stsError = (code: string) =>
    `<ErrorResponse><Error><Code>${code}</Code><Message>m</Message></Error></ErrorResponse>`;

  it.each<[string, typeof fetch]>([
    ['a network failure', async () => Promise.reject(new TypeError('fetch failed'))],
    ['throttling', answering(400, stsError('Throttling'))],
    ['a 5xx', answering(503, stsError('ServiceUnavailable'))],
    ['an answer that is not STS', answering(404, '<html>not found</html>')],
    ['a 200 without an identity', answering(200, '<GetCallerIdentityResponse></GetCallerIdentityResponse>')],
    [
      'an identity whose ARN names another account',
      answering(
        200,
        '<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::444455556666:user/x</Arn>' +
          '<UserId>AIDA</UserId><Account>111122223333</Account></GetCallerIdentityResult></GetCallerIdentityResponse>',
      ),
    ],
  ])('throws on %s, so the activity retries', async (_, fake) => {
    const signed = await sign();
    await expect(verifier({ fetch: fake })(CLAIM, signed)).rejects.toThrow(/^STS at /);
  });

  it('throws when STS does not answer within the timeout', async () => {
    const hanging: typeof fetch = (_, init) =>
      new Promise((_resolve, reject) =>
        init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    const signed = await sign();
    await expect(verifier({ fetch: hanging, timeoutMs: 100 })(CLAIM, signed)).rejects.toThrow(
      /could not be asked/,
    );
  });
});

describe("signed operator decisions against moto's STS (which does not check signatures)", () => {
  let moto: MotoServer;
  let route: { endpoint: string; stop(): Promise<void> };

  beforeAll(async () => {
    moto = await startSuiteMoto();
    route = await startMotoStsRoute(moto.endpoint);
  });
  afterAll(async () => {
    await route.stop();
    await moto.stop();
  });

  it("returns moto's ARN for a genuine signature, plain and from an assumed SSO-style role", async () => {
    const verify = createIdentityVerifier({ stsEndpoint: route.endpoint });
    const plain = await signDecision(CLAIM, {
      region: REGION,
      endpoint: route.endpoint,
      credentials: TEST_CREDENTIALS,
    });
    expect(await verify(CLAIM, plain)).toEqual({
      ok: true,
      arn: `arn:aws:sts::${FIXTURE_ACCOUNT}:user/moto`,
      account: FIXTURE_ACCOUNT,
    });

    const role = 'AWSReservedSSO_SecurityAdmin_0123456789abcdef';
    const iam = new IAMClient({
      endpoint: moto.endpoint,
      region: 'us-east-1',
      credentials: TEST_CREDENTIALS,
    });
    const stsClient = new STSClient({
      endpoint: moto.endpoint,
      region: REGION,
      credentials: TEST_CREDENTIALS,
    });
    await iam.send(
      new CreateRoleCommand({
        RoleName: role,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: FIXTURE_ACCOUNT }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    const { Credentials: session } = await stsClient.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${FIXTURE_ACCOUNT}:role/${role}`,
        RoleSessionName: 'alice@example.com',
      }),
    );
    iam.destroy();
    stsClient.destroy();
    const signed = await signDecision(CLAIM, {
      region: REGION,
      endpoint: route.endpoint,
      credentials: {
        accessKeyId: session!.AccessKeyId!,
        secretAccessKey: session!.SecretAccessKey!,
        sessionToken: session!.SessionToken!,
      },
    });
    expect(signed.query).toContain('X-Amz-Security-Token=');
    const result = await verify(CLAIM, signed);
    expect(result).toEqual({
      ok: true,
      arn: `arn:aws:sts::${FIXTURE_ACCOUNT}:assumed-role/${role}/alice@example.com`,
      account: FIXTURE_ACCOUNT,
    });
    const admins = { '*': [`arn:aws:sts::${FIXTURE_ACCOUNT}:assumed-role/AWSReservedSSO_SecurityAdmin_*/*`] };
    expect(result.ok && isApprover(admins, undefined, result.arn)).toBe(true);
  });
});
