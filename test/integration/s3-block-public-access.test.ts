/**
 * The S3 playbook's activities against moto: analysis, prior state, idempotent apply, compensation, verification.
 */
import { GetPublicAccessBlockCommand, PutPublicAccessBlockCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/common';
import { createRemediationActivities } from '../../src/activities/remediation-activities';
import { createPlaybooks } from '../../src/activities';
import type { AwsClients } from '../../src/aws/clients';
import type { MotoServer } from '../../src/devstack/moto-server';
import { createBucket, motoClients, rawClients } from '../helpers/aws';
import { s3Finding } from '../helpers/fixtures';
import { runActivity } from '../helpers/activity-env';
import { startSuiteMoto } from '../helpers/servers';

let moto: MotoServer;
let clients: AwsClients;
let s3: S3Client;
let activities: ReturnType<typeof createRemediationActivities>;
const PLAYBOOK = 's3-block-public-access';
const run = runActivity;

beforeAll(async () => {
  moto = await startSuiteMoto();
  clients = motoClients(moto.endpoint);
  s3 = rawClients(moto.endpoint).s3;
  activities = createRemediationActivities(createPlaybooks(clients));
});
afterAll(async () => {
  clients?.destroy();
  await moto?.stop();
});
beforeEach(() => moto.reset());

async function blockOf(bucket: string) {
  try {
    return (await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket })))
      .PublicAccessBlockConfiguration;
  } catch (err) {
    if ((err as Error).name === 'NoSuchPublicAccessBlockConfiguration') return null;
    throw err;
  }
}

const request = (bucket: string) => ({ finding: s3Finding(bucket), playbook: PLAYBOOK });
const step = 'put-public-access-block';

describe('analyze', () => {
  it('plans the four-setting block for a bucket without one', async () => {
    await createBucket(s3, 'open-bucket');
    const analysis = await run(activities.analyze, request('open-bucket'));
    expect(analysis.verdict).toBe('remediate');
    expect(analysis.plan.map((p) => p.step)).toEqual([step]);
  });

  it('is NO_ACTION for a bucket that no longer exists', async () => {
    const analysis = await run(activities.analyze, request('gone-bucket'));
    expect(analysis).toMatchObject({
      verdict: 'no_action',
      reason: expect.stringContaining('no longer exists'),
    });
  });

  it('is NO_ACTION for a bucket that already blocks everything', async () => {
    await createBucket(s3, 'closed-bucket');
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: 'closed-bucket',
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        },
      }),
    );
    const analysis = await run(activities.analyze, request('closed-bucket'));
    expect(analysis).toMatchObject({
      verdict: 'no_action',
      reason: expect.stringContaining('blocks all public access'),
    });
  });

  it('plans a fix when only some settings are on', async () => {
    await createBucket(s3, 'half-bucket');
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: 'half-bucket',
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: false,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: false,
        },
      }),
    );
    const analysis = await run(activities.analyze, request('half-bucket'));
    expect(analysis).toMatchObject({
      verdict: 'remediate',
      reason: expect.stringContaining('public access block is incomplete'),
    });
  });
});

describe('apply, verify and compensate', () => {
  it('blocks all four settings, is idempotent, and verifies with a fresh read', async () => {
    await createBucket(s3, 'fix-me');
    const prior = await run(activities.capturePriorState, request('fix-me'));
    expect(prior).toEqual({ publicAccessBlock: null });

    const first = await run(activities.applyStep, { ...request('fix-me'), step, prior });
    const second = await run(activities.applyStep, { ...request('fix-me'), step, prior });

    expect(first.changed).toBe(true);
    expect(second.changed).toBe(false);
    expect(await blockOf('fix-me')).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    const verification = await run(activities.verify, request('fix-me'));
    expect(verification.passed).toBe(true);
  });

  it('compensates to the recorded partial configuration', async () => {
    const partial = {
      BlockPublicAcls: true,
      IgnorePublicAcls: false,
      BlockPublicPolicy: false,
      RestrictPublicBuckets: true,
    };
    await createBucket(s3, 'partial');
    await s3.send(
      new PutPublicAccessBlockCommand({ Bucket: 'partial', PublicAccessBlockConfiguration: partial }),
    );
    const prior = await run(activities.capturePriorState, request('partial'));
    await run(activities.applyStep, { ...request('partial'), step, prior });

    const restored = await run(activities.compensateStep, { ...request('partial'), step, prior });
    const again = await run(activities.compensateStep, { ...request('partial'), step, prior });

    expect(restored.changed).toBe(true);
    expect(again.changed).toBe(false);
    expect(await blockOf('partial')).toEqual(partial);
  });

  it('compensates by deleting the configuration when the bucket had none', async () => {
    await createBucket(s3, 'had-none');
    const prior = await run(activities.capturePriorState, request('had-none'));
    await run(activities.applyStep, { ...request('had-none'), step, prior });
    await run(activities.compensateStep, { ...request('had-none'), step, prior });
    expect(await blockOf('had-none')).toBeNull();
  });

  it('verification fails when the block was removed after the change', async () => {
    await createBucket(s3, 'drifted');
    const verification = await run(activities.verify, request('drifted'));
    expect(verification).toMatchObject({
      passed: false,
      detail: expect.stringContaining('no public access block'),
    });
  });

  it('fails non-retryably, as a resource gone, when the bucket vanished before the change', async () => {
    const failure = await run(activities.applyStep, {
      ...request('vanished'),
      step,
      prior: { publicAccessBlock: null },
    }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'ResourceGone', nonRetryable: true });
  });

  it('rejects an unknown playbook without retrying', async () => {
    const failure = await run(activities.analyze, { finding: s3Finding('x'), playbook: 'nope' }).catch(
      (e: unknown) => e,
    );
    expect(failure).toMatchObject({ type: 'UnknownPlaybook', nonRetryable: true });
  });
});
