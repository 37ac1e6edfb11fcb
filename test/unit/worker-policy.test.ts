/**
 * The worker's own policy (docs/architecture.md, Trust model): its version, the trust defaults that fail closed,
 * `self` resolved to the worker's account, the served scope, and the local vetting of a finding (protected
 * principals, accounts and regions) before any AWS call.
 */
import { vetLocally } from '../../src/activities/vet-finding';
import { DEFAULT_TRUST, resolveTrust, scopeProblem } from '../../src/domain/policy';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';
import { parsePolicy } from '../../src/policy/load-policy';
import { policyVersion, trustSettings, workerPolicy } from '../../src/policy/worker-policy';
import { s3Finding } from '../helpers/fixtures';

const SELF = '123456789012';

it('names a policy by its content: key order does not matter, any change does', () => {
  const { routes, ...rest } = DEFAULT_POLICY;
  const reordered = JSON.parse(JSON.stringify({ ...rest, routes })) as typeof DEFAULT_POLICY;
  expect(policyVersion(reordered)).toBe(policyVersion(DEFAULT_POLICY));
  expect(policyVersion(DEFAULT_POLICY)).toMatch(/^[0-9a-f]{16}$/);
  expect(policyVersion({ ...DEFAULT_POLICY, cooldownMs: 1 })).not.toBe(policyVersion(DEFAULT_POLICY));
});

it('fails closed by default: own account only, findings confirmed, decisions signed, own roles protected', () => {
  const held = workerPolicy(DEFAULT_POLICY, SELF, ['remediator-worker-role', 'RemediatorMemberRole']);
  expect(held.trust).toMatchObject({
    accounts: [SELF],
    confirmAtSource: true,
    allowUnsignedDecisions: false,
    protectedTagKey: 'remediator:protected',
  });
  expect(held.trust.protectedPrincipals).toEqual(
    expect.arrayContaining(['OrganizationAccountAccessRole', 'AWSReservedSSO_*', 'RemediatorMemberRole']),
  );
  expect(held.trust.approvers['*']).toEqual([
    `arn:aws:iam::${SELF}:*`,
    `arn:aws:sts::${SELF}:assumed-role/*`,
  ]);
  expect(Object.keys(held.settings.playbooks)).toContain('s3-block-public-access');
});

it('takes the policy file trust section over the defaults, and refuses a malformed one naming the field', () => {
  const policy = parsePolicy({
    ...DEFAULT_POLICY,
    trust: {
      accounts: ['self', '210987654321'],
      regions: ['eu-west-1'],
      approvers: { '*': ['arn:aws:sts::self:*'] },
    },
  });
  const trust = resolveTrust(trustSettings(policy), SELF);
  expect(trust.accounts).toEqual([SELF, '210987654321']);
  expect(trust.approvers['*']).toEqual([`arn:aws:sts::${SELF}:*`]);
  expect(() => parsePolicy({ ...DEFAULT_POLICY, trust: { accounts: ['12'] } })).toThrow(
    /trust\.accounts\.0: an account id is 12 digits/,
  );
  expect(() => parsePolicy({ ...DEFAULT_POLICY, trust: { approvers: { nope: ['*'] } } })).toThrow(
    /trust\.approvers\.nope/,
  );
  expect(() => parsePolicy({ ...DEFAULT_POLICY, trust: { approvers: { '*': ['alice'] } } })).toThrow(
    /an approver is an ARN pattern/,
  );
});

it('serves only the accounts and regions the policy names (IAM is global)', () => {
  const trust = resolveTrust({ ...DEFAULT_TRUST, regions: ['eu-west-1'] }, SELF);
  expect(scopeProblem(trust, { account: SELF, region: 'eu-west-1' })).toBeUndefined();
  expect(scopeProblem(trust, { account: SELF, region: 'global' })).toBeUndefined();
  expect(scopeProblem(trust, { account: '999999999999', region: 'eu-west-1' })).toMatch(
    /account 999999999999/,
  );
  expect(scopeProblem(trust, { account: SELF, region: 'us-east-1' })).toMatch(/region us-east-1/);
  expect(
    scopeProblem(resolveTrust({ ...DEFAULT_TRUST, accounts: ['*'] }, SELF), { account: '1', region: 'x' }),
  ).toBe(undefined);
});

it('refuses a finding that names a protected principal or an account it does not serve, before any AWS call', () => {
  const trust = resolveTrust(trustSettings(DEFAULT_POLICY, ['remediator-worker-role']), SELF);
  const keyOf = (userName: string) =>
    s3Finding('b', {
      resource: {
        account: SELF,
        region: 'global',
        resourceType: 'AWS::IAM::AccessKey',
        resourceId: 'AKIAEXAMPLE00001',
      },
      details: { userName },
    });
  expect(vetLocally(keyOf('OrganizationAccountAccessRole'), trust)).toMatchObject({ kind: 'protected' });
  expect(vetLocally(keyOf('AWSReservedSSO_Admin_0123'), trust)).toMatchObject({ kind: 'protected' });
  expect(vetLocally(keyOf('remediator-worker-role'), trust)).toMatchObject({ kind: 'protected' });
  expect(vetLocally(keyOf('build-bot'), trust)).toBeUndefined();
  const elsewhere = s3Finding('b', {
    resource: {
      account: '999999999999',
      region: 'eu-west-1',
      resourceType: 'AWS::S3::Bucket',
      resourceId: 'b',
    },
  });
  expect(vetLocally(elsewhere, trust)).toMatchObject({ kind: 'out-of-scope' });
});
