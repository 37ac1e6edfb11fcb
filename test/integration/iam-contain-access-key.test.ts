/**
 * The access-key containment playbook's activities against moto's IAM.
 */
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { createPlaybooks } from '../../src/activities';
import {
  DENY_POLICY_NAME,
  denyOlderSessionsPolicy,
  safeDenyDocument,
} from '../../src/playbooks/iam-contain-access-key';
import { createRemediationActivities } from '../../src/activities/remediation-activities';
import type { AwsClients } from '../../src/aws/clients';
import type { MotoServer } from '../../src/devstack/moto-server';
import type { Finding } from '../../src/domain/finding';
import { motoClients, TEST_CREDENTIALS } from '../helpers/aws';
import { runActivity } from '../helpers/activity-env';
import { guardDutyFinding } from '../helpers/fixtures';
import { startSuiteMoto } from '../helpers/servers';

let moto: MotoServer;
let clients: AwsClients;
let iam: IAMClient;
let activities: ReturnType<typeof createRemediationActivities>;
const run = runActivity;

beforeAll(async () => {
  moto = await startSuiteMoto();
  clients = motoClients(moto.endpoint);
  iam = new IAMClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS });
  activities = createRemediationActivities(createPlaybooks(clients));
});
afterAll(async () => {
  clients?.destroy();
  iam?.destroy();
  await moto?.stop();
});
beforeEach(() => moto.reset());

function keyFinding(
  accessKeyId: string,
  userName = 'ci-deployer',
  userType = 'IAMUser',
): { finding: Finding; playbook: string } {
  return {
    finding: guardDutyFinding('AWS::IAM::AccessKey', accessKeyId, {
      control: 'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom',
      observedAt: '2026-11-21T05:11:58Z',
      eventId: 'evt-key',
      details: { guardDutyFindingId: 'gd-key', resourceRole: 'TARGET', accessKeyId, userName, userType },
    }),
    playbook: 'iam-contain-access-key',
  };
}

async function newKey(userName = 'ci-deployer'): Promise<string> {
  await iam.send(new CreateUserCommand({ UserName: userName }));
  const out = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
  return out.AccessKey?.AccessKeyId ?? '';
}

const statusOf = async (userName: string, keyId: string) =>
  (await iam.send(new ListAccessKeysCommand({ UserName: userName }))).AccessKeyMetadata?.find(
    (k) => k.AccessKeyId === keyId,
  )?.Status;

it('deactivates the key (never deletes it), idempotently, verifies, and restores it for an operator rollback', async () => {
  const keyId = await newKey();
  const req = keyFinding(keyId);
  const analysis = await run(activities.analyze, req);
  const prior = await run(activities.capturePriorState, req);
  const first = await run(activities.applyStep, { ...req, step: 'deactivate-access-key', prior });
  const second = await run(activities.applyStep, { ...req, step: 'deactivate-access-key', prior });
  const verification = await run(activities.verify, req);

  expect(keyId).toMatch(/^AKIA/);
  expect(analysis.verdict).toBe('remediate');
  expect(prior).toMatchObject({ userName: 'ci-deployer', accessKeyId: keyId, status: 'Active' });
  expect([first.changed, second.changed]).toEqual([true, false]);
  expect(await statusOf('ci-deployer', keyId)).toBe('Inactive');
  expect(verification.passed).toBe(true);

  await run(activities.compensateStep, { ...req, step: 'deactivate-access-key', prior });
  expect(await statusOf('ci-deployer', keyId)).toBe('Active');
});

it("asks approval to deny a role's older sessions for its temporary key, applies it idempotently, verifies, and restores", async () => {
  // Prepare: the role GuardDuty saw a session of.
  await iam.send(
    new CreateRoleCommand({
      RoleName: 'deploy-role',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    }),
  );
  const req = keyFinding('ASIAEXAMPLETEMPKEY01', 'deploy-role', 'AssumedRole');

  // Act
  const analysis = await run(activities.analyze, req);
  const prior = await run(activities.capturePriorState, req);
  const first = await run(activities.applyStep, { ...req, step: 'revoke-older-role-sessions', prior });
  const again = await run(activities.applyStep, { ...req, step: 'revoke-older-role-sessions', prior });
  const verification = await run(activities.verify, req);
  const policy = await iam.send(
    new GetRolePolicyCommand({ RoleName: 'deploy-role', PolicyName: DENY_POLICY_NAME }),
  );
  const undone = await run(activities.compensateStep, { ...req, step: 'revoke-older-role-sessions', prior });

  // Assess
  expect(analysis).toMatchObject({
    verdict: 'needs_approval',
    reason: expect.stringContaining('every holder of the role'),
    plan: [
      {
        step: 'revoke-older-role-sessions',
        description: expect.stringContaining('PutRolePolicy deploy-role'),
      },
    ],
  });
  expect(prior).toMatchObject({ roleName: 'deploy-role', status: 'temporary', denyPolicyBefore: null });
  expect([first.changed, again.changed]).toEqual([true, false]);
  expect(JSON.parse(decodeURIComponent(policy.PolicyDocument ?? '{}')).Statement[0]).toMatchObject({
    Effect: 'Deny',
    Condition: { DateLessThan: { 'aws:TokenIssueTime': prior.capturedAt } },
  });
  expect(verification).toMatchObject({
    passed: true,
    detail: expect.stringContaining('role deploy-role; session deny in place'),
  });
  expect(undone).toMatchObject({ changed: true, detail: `removed ${DENY_POLICY_NAME}` });
  await expect(
    iam.send(new GetRolePolicyCommand({ RoleName: 'deploy-role', PolicyName: DENY_POLICY_NAME })),
  ).rejects.toMatchObject({ name: 'NoSuchEntityException' });
});

it('is NO_ACTION for a session of a role that is gone; tickets a principal it cannot contain', async () => {
  const gone = await run(
    activities.analyze,
    keyFinding('ASIAEXAMPLETEMPKEY02', 'deleted-role', 'AssumedRole'),
  );
  const root = await run(activities.analyze, keyFinding('ASIAEXAMPLETEMPKEY03', 'root', 'Root'));
  expect(gone).toMatchObject({ verdict: 'no_action', reason: expect.stringContaining('no longer exists') });
  expect(root).toMatchObject({ verdict: 'cannot_fix', reason: expect.stringContaining('Root') });
});

it("a user's temporary key: approval to deny the user's older sessions; an earlier deny is restored exactly", async () => {
  // Prepare: the user already carries an earlier containment's deny.
  await iam.send(new CreateUserCommand({ UserName: 'ci-deployer' }));
  const earlier = denyOlderSessionsPolicy('2026-01-01T00:00:00.000Z');
  await iam.send(
    new PutUserPolicyCommand({
      UserName: 'ci-deployer',
      PolicyName: DENY_POLICY_NAME,
      PolicyDocument: earlier,
    }),
  );
  const req = keyFinding('ASIAEXAMPLETEMPKEY04');

  // Act
  const analysis = await run(activities.analyze, req);
  const prior = await run(activities.capturePriorState, req);
  await run(activities.applyStep, { ...req, step: 'deny-older-sessions', prior });
  await run(activities.compensateStep, { ...req, step: 'deny-older-sessions', prior });
  const after = await iam.send(
    new GetUserPolicyCommand({ UserName: 'ci-deployer', PolicyName: DENY_POLICY_NAME }),
  );

  // Assess
  expect(analysis).toMatchObject({ verdict: 'needs_approval', plan: [{ step: 'deny-older-sessions' }] });
  expect(prior.denyPolicyBefore).toBe(earlier);
  expect(JSON.parse(decodeURIComponent(after.PolicyDocument ?? '{}'))).toEqual(JSON.parse(earlier));
});

it('is NO_ACTION for a key that is gone or already inactive', async () => {
  await iam.send(new CreateUserCommand({ UserName: 'ci-deployer' }));
  expect((await run(activities.analyze, keyFinding('AKIAIOSFODNN7EXAMPLE'))).verdict).toBe('no_action');
});

it('denies sessions issued before the containment when the policy asks (denyOlderSessions)', async () => {
  const keyId = await newKey();
  const req = { ...keyFinding(keyId), options: { denyOlderSessions: true } };
  const analysis = await run(activities.analyze, req);
  const prior = await run(activities.capturePriorState, req);
  for (const p of analysis.plan) await run(activities.applyStep, { ...req, step: p.step, prior });
  const verification = await run(activities.verify, req);

  expect(analysis.plan.map((p) => p.step)).toEqual(['deactivate-access-key', 'deny-older-sessions']);
  const policy = await iam.send(
    new GetUserPolicyCommand({
      UserName: 'ci-deployer',
      PolicyName: 'remediator-deny-sessions-issued-before-containment',
    }),
  );
  const document = JSON.parse(decodeURIComponent(policy.PolicyDocument ?? '{}'));
  expect(document.Statement[0]).toMatchObject({
    Effect: 'Deny',
    Action: '*',
    Condition: { DateLessThan: { 'aws:TokenIssueTime': (prior as { capturedAt: string }).capturedAt } },
  });
  expect(verification).toMatchObject({
    passed: true,
    detail: expect.stringContaining('session deny in place'),
  });

  await run(activities.compensateStep, { ...req, step: 'deny-older-sessions', prior });
  await expect(
    iam.send(
      new GetUserPolicyCommand({
        UserName: 'ci-deployer',
        PolicyName: 'remediator-deny-sessions-issued-before-containment',
      }),
    ),
  ).rejects.toMatchObject({ name: 'NoSuchEntityException' });
});

it('restores only a deny of its own shape: an allow-all document as the prior state is refused and nothing is written', async () => {
  // Prepare: the role carries the containment's deny; the recorded "prior" document would allow everything.
  await iam.send(
    new CreateRoleCommand({
      RoleName: 'deploy-role',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    }),
  );
  const ours = denyOlderSessionsPolicy('2026-11-21T05:12:00.000Z');
  await iam.send(
    new PutRolePolicyCommand({ RoleName: 'deploy-role', PolicyName: DENY_POLICY_NAME, PolicyDocument: ours }),
  );
  const req = keyFinding('ASIAEXAMPLETEMPKEY05', 'deploy-role', 'AssumedRole');
  const allowAll = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
  });
  const prior = {
    userName: '',
    roleName: 'deploy-role',
    accessKeyId: 'ASIAEXAMPLETEMPKEY05',
    status: 'temporary',
    denyPolicyBefore: allowAll,
    capturedAt: '2026-11-21T05:12:00.000Z',
  };

  // Act
  const refused = await run(activities.compensateStep, {
    ...req,
    step: 'revoke-older-role-sessions',
    prior,
  }).catch((err: unknown) => err);
  const after = await iam.send(
    new GetRolePolicyCommand({ RoleName: 'deploy-role', PolicyName: DENY_POLICY_NAME }),
  );

  // Assess: a non-retryable failure, and the role's inline policies exactly as they were.
  expect(refused).toMatchObject({
    type: 'UnsafePriorState',
    nonRetryable: true,
    message: expect.stringContaining('is not a Deny'),
  });
  expect(JSON.parse(decodeURIComponent(after.PolicyDocument ?? '{}'))).toEqual(JSON.parse(ours));
  expect((await iam.send(new ListRolePoliciesCommand({ RoleName: 'deploy-role' }))).PolicyNames).toEqual([
    DENY_POLICY_NAME,
  ]);
});

it('safeDenyDocument accepts exactly the deny shapes the playbook writes, and nothing that could grant', () => {
  const now = Date.parse('2026-11-21T06:00:00.000Z');
  const deny = (statement: Record<string, unknown>) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'RemediatorDenyOlderSessions',
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-11-21T05:12:00.000Z' } },
          ...statement,
        },
      ],
    });
  const ours = denyOlderSessionsPolicy('2026-11-21T05:12:00.000Z');
  const twice = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      ...JSON.parse(ours).Statement,
      {
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-01-01T00:00:00Z' } },
      },
    ],
  });

  expect(safeDenyDocument(ours, now)).toEqual({ ok: true, document: ours });
  expect(safeDenyDocument(twice, now)).toMatchObject({ ok: true });
  const refusals = [
    'not json',
    JSON.stringify({ Version: '2012-10-17', Statement: [] }),
    JSON.stringify({ Version: '2012-10-17', Statement: { Effect: 'Deny', Action: '*', Resource: '*' } }),
    JSON.stringify({ Version: '2008-10-17', Statement: JSON.parse(ours).Statement }),
    JSON.stringify({ ...JSON.parse(ours), Id: 'extra' }),
    deny({ Effect: 'Allow' }),
    deny({ Action: ['*'] }),
    deny({ Action: 's3:GetObject' }),
    deny({ Resource: 'arn:aws:s3:::bucket/*' }),
    deny({ NotAction: 'iam:*' }),
    deny({ NotResource: '*' }),
    deny({ Principal: '*' }),
    deny({ Condition: {} }),
    deny({ Condition: { DateGreaterThan: { 'aws:TokenIssueTime': '2026-11-21T05:12:00.000Z' } } }),
    deny({ Condition: { DateLessThan: { 'aws:CurrentTime': '2026-11-21T05:12:00.000Z' } } }),
    deny({ Condition: { DateLessThan: { 'aws:TokenIssueTime': ['2026-11-21T05:12:00.000Z'] } } }),
    deny({ Condition: { DateLessThan: { 'aws:TokenIssueTime': 'yesterday' } } }),
    // A deny that outlives every session issued from now on is not one the playbook writes.
    deny({ Condition: { DateLessThan: { 'aws:TokenIssueTime': '2099-01-01T00:00:00.000Z' } } }),
    deny({ Sid: 'has spaces' }),
  ];
  for (const text of refusals) expect([text, safeDenyDocument(text, now).ok]).toEqual([text, false]);
  // A duplicate key: JSON.parse keeps the last, another parser may keep the first. What is written is the checked
  // document re-serialised, so IAM never sees the Allow.
  const duplicate = ours.replace('"Effect":"Deny"', '"Effect":"Allow","Effect":"Deny"');
  expect(duplicate).toContain('"Effect":"Allow"');
  expect(safeDenyDocument(duplicate, now)).toEqual({ ok: true, document: ours });
});
