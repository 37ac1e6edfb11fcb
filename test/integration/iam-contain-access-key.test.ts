/**
 * The access-key containment playbook's activities against moto's IAM.
 */
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
} from '@aws-sdk/client-iam';
import { createPlaybooks } from '../../src/activities';
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

it('waits for approval for temporary credentials and never fails on them', async () => {
  const analysis = await run(
    activities.analyze,
    keyFinding('ASIAEXAMPLETEMPKEY01', 'deploy-role', 'AssumedRole'),
  );
  expect(analysis).toMatchObject({
    verdict: 'needs_approval',
    reason: expect.stringContaining('every holder of the role'),
  });
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
