/**
 * The EBS-encryption-by-default playbook's activities against moto.
 */
import {
  DisableEbsEncryptionByDefaultCommand,
  EnableEbsEncryptionByDefaultCommand,
  EC2Client,
  GetEbsEncryptionByDefaultCommand,
} from '@aws-sdk/client-ec2';
import { createPlaybooks } from '../../src/activities';
import { createRemediationActivities } from '../../src/activities/remediation-activities';
import type { AwsClients } from '../../src/aws/clients';
import type { MotoServer } from '../../src/devstack/moto-server';
import { FIXTURE_ACCOUNT, FIXTURE_REGION, motoClients, TEST_CREDENTIALS } from '../helpers/aws';
import { configFinding } from '../helpers/fixtures';
import { runActivity } from '../helpers/activity-env';
import { startSuiteMoto } from '../helpers/servers';

let moto: MotoServer;
let clients: AwsClients;
let ec2: EC2Client;
let activities: ReturnType<typeof createRemediationActivities>;
const run = runActivity;

const PLAYBOOK = 'ebs-encryption-by-default';
const STEP = 'enable-ebs-encryption-by-default';
const request = {
  finding: configFinding('ec2-ebs-encryption-by-default', {
    account: FIXTURE_ACCOUNT,
    region: FIXTURE_REGION,
    resourceType: 'AWS::::Account',
    resourceId: FIXTURE_ACCOUNT,
  }),
  playbook: PLAYBOOK,
};

beforeAll(async () => {
  moto = await startSuiteMoto();
  clients = motoClients(moto.endpoint);
  ec2 = new EC2Client({ endpoint: moto.endpoint, region: FIXTURE_REGION, credentials: TEST_CREDENTIALS });
  activities = createRemediationActivities(createPlaybooks(clients));
});
afterAll(async () => {
  clients?.destroy();
  ec2?.destroy();
  await moto?.stop();
});
beforeEach(() => moto.reset());

const enabled = async () => (await ec2.send(new GetEbsEncryptionByDefaultCommand({}))).EbsEncryptionByDefault;

it('is NO_ACTION when encryption by default is already on', async () => {
  await ec2.send(new EnableEbsEncryptionByDefaultCommand({}));
  const analysis = await run(activities.analyze, request);
  expect(analysis).toMatchObject({
    verdict: 'no_action',
    reason: expect.stringContaining('is compliant: EBS encryption by default is on'),
  });
});

it('enables it idempotently and verifies with a fresh read', async () => {
  await ec2.send(new DisableEbsEncryptionByDefaultCommand({}));
  const analysis = await run(activities.analyze, request);
  const prior = await run(activities.capturePriorState, request);
  const first = await run(activities.applyStep, { ...request, step: STEP, prior });
  const second = await run(activities.applyStep, { ...request, step: STEP, prior });
  const verification = await run(activities.verify, request);

  expect(analysis.plan.map((p) => p.step)).toEqual([STEP]);
  expect(prior).toEqual({ ebsEncryptionByDefault: false });
  expect([first.changed, second.changed]).toEqual([true, false]);
  expect(await enabled()).toBe(true);
  expect(verification.passed).toBe(true);
});

it('compensates by disabling only when it was off before', async () => {
  await run(activities.applyStep, { ...request, step: STEP, prior: { ebsEncryptionByDefault: false } });
  const keptOn = await run(activities.compensateStep, {
    ...request,
    step: STEP,
    prior: { ebsEncryptionByDefault: true },
  });
  expect(keptOn.changed).toBe(false);
  expect(await enabled()).toBe(true);

  const restored = await run(activities.compensateStep, {
    ...request,
    step: STEP,
    prior: { ebsEncryptionByDefault: false },
  });
  expect(restored.changed).toBe(true);
  expect(await enabled()).toBe(false);
});
