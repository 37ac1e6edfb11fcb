/**
 * The IMDSv2 playbook's activities against moto, including the recent-IMDSv1-use guard (CloudWatch MetadataNoToken).
 */
import { PutMetricDataCommand, CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  DescribeInstancesCommand,
  ModifyInstanceMetadataOptionsCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { createPlaybooks } from '../../src/activities';
import { createRemediationActivities } from '../../src/activities/remediation-activities';
import type { AwsClients } from '../../src/aws/clients';
import type { MotoServer } from '../../src/devstack/moto-server';
import { FIXTURE_ACCOUNT, FIXTURE_REGION, motoClients, TEST_CREDENTIALS } from '../helpers/aws';
import { launchInstance, motoEc2 } from '../helpers/ec2';
import { configFinding } from '../helpers/fixtures';
import { runActivity } from '../helpers/activity-env';
import { startSuiteMoto } from '../helpers/servers';

let moto: MotoServer;
let clients: AwsClients;
let ec2: EC2Client;
let cloudwatch: CloudWatchClient;
let activities: ReturnType<typeof createRemediationActivities>;
const run = runActivity;

const STEP = 'require-imdsv2';
const request = (instanceId: string) => ({
  finding: configFinding('ec2-imdsv2-check', {
    account: FIXTURE_ACCOUNT,
    region: FIXTURE_REGION,
    resourceType: 'AWS::EC2::Instance',
    resourceId: instanceId,
  }),
  playbook: 'ec2-enforce-imdsv2',
});

beforeAll(async () => {
  moto = await startSuiteMoto();
  clients = motoClients(moto.endpoint);
  ec2 = motoEc2(moto.endpoint);
  cloudwatch = new CloudWatchClient({
    endpoint: moto.endpoint,
    region: FIXTURE_REGION,
    credentials: TEST_CREDENTIALS,
  });
  activities = createRemediationActivities(createPlaybooks(clients));
});
afterAll(async () => {
  clients?.destroy();
  ec2?.destroy();
  cloudwatch?.destroy();
  await moto?.stop();
});
beforeEach(() => moto.reset());

async function optionsOf(instanceId: string) {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  return out.Reservations?.[0]?.Instances?.[0]?.MetadataOptions;
}

it('requires IMDSv2 keeping every other option, idempotently, and verifies State applied', async () => {
  // Prepare: non-default options that a partial call would reset.
  const id = await launchInstance(ec2, {
    MetadataOptions: {
      HttpTokens: 'optional',
      HttpPutResponseHopLimit: 3,
      HttpEndpoint: 'enabled',
      InstanceMetadataTags: 'enabled',
    },
  });
  // Act
  const analysis = await run(activities.analyze, request(id));
  const prior = await run(activities.capturePriorState, request(id));
  const first = await run(activities.applyStep, { ...request(id), step: STEP, prior });
  const second = await run(activities.applyStep, { ...request(id), step: STEP, prior });
  const verification = await run(activities.verify, request(id));
  // Assess
  expect(analysis.verdict).toBe('remediate');
  expect(prior).toEqual({
    metadataOptions: expect.objectContaining({
      HttpTokens: 'optional',
      HttpPutResponseHopLimit: 3,
      InstanceMetadataTags: 'enabled',
    }),
    State: { metadataState: 'applied', imdsv1Calls: 0 },
  });
  expect([first.changed, second.changed]).toEqual([true, false]);
  expect(await optionsOf(id)).toMatchObject({
    HttpTokens: 'required',
    HttpPutResponseHopLimit: 3,
    InstanceMetadataTags: 'enabled',
    HttpEndpoint: 'enabled',
  });
  expect(verification.passed).toBe(true);
});

it('never switches a disabled metadata endpoint on', async () => {
  const id = await launchInstance(ec2, {
    MetadataOptions: { HttpTokens: 'optional', HttpEndpoint: 'disabled' },
  });
  const prior = await run(activities.capturePriorState, request(id));
  await run(activities.applyStep, { ...request(id), step: STEP, prior });
  expect(await optionsOf(id)).toMatchObject({ HttpTokens: 'required', HttpEndpoint: 'disabled' });
});

it('needs approval when the instance made IMDSv1 calls recently', async () => {
  const id = await launchInstance(ec2, { MetadataOptions: { HttpTokens: 'optional' } });
  await cloudwatch.send(
    new PutMetricDataCommand({
      Namespace: 'AWS/EC2',
      MetricData: [
        {
          MetricName: 'MetadataNoToken',
          Dimensions: [{ Name: 'InstanceId', Value: id }],
          Value: 12,
          Timestamp: new Date(),
        },
      ],
    }),
  );
  const analysis = await run(activities.analyze, request(id));
  expect(analysis).toMatchObject({
    verdict: 'needs_approval',
    reason: expect.stringContaining('12 IMDSv1 call(s)'),
  });
});

it('is NO_ACTION for an instance that already requires IMDSv2 or is gone', async () => {
  const compliant = await launchInstance(ec2, { MetadataOptions: { HttpTokens: 'required' } });
  const terminated = await launchInstance(ec2);
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [terminated] }));
  expect((await run(activities.analyze, request(compliant))).verdict).toBe('no_action');
  expect((await run(activities.analyze, request(terminated))).verdict).toBe('no_action');
  expect((await run(activities.analyze, request('i-0123456789abcdef0'))).verdict).toBe('no_action');
});

it('compensates to the recorded options', async () => {
  const id = await launchInstance(ec2, {
    MetadataOptions: { HttpTokens: 'optional', HttpPutResponseHopLimit: 2 },
  });
  const prior = await run(activities.capturePriorState, request(id));
  await run(activities.applyStep, { ...request(id), step: STEP, prior });
  await ec2.send(
    new ModifyInstanceMetadataOptionsCommand({
      InstanceId: id,
      HttpTokens: 'required',
      HttpPutResponseHopLimit: 2,
    }),
  );
  const restored = await run(activities.compensateStep, { ...request(id), step: STEP, prior });
  expect(restored.changed).toBe(true);
  expect(await optionsOf(id)).toMatchObject({ HttpTokens: 'optional', HttpPutResponseHopLimit: 2 });
});
