/**
 * Cross-account remediation through STS on moto: clients for a member account use the role assumed there (moto keeps
 * each account's resources apart by the credentials' account), each playbook family its own role, credentials are
 * cached and refreshed before expiry, and the worker's own account keeps its own credentials.
 */
import { CreateBucketCommand, GetPublicAccessBlockCommand, ListBucketsCommand } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { createPlaybooks } from '../../src/activities';
import { createRemediationActivities } from '../../src/activities/remediation-activities';
import { assumedRoleProvider } from '../../src/aws/assumed-role';
import { AwsClients } from '../../src/aws/clients';
import type { MotoServer } from '../../src/devstack/moto-server';
import { ROLE_FAMILIES } from '../../src/domain/role-families';
import type { RoleFamily } from '../../src/domain/role-families';
import { runActivity } from '../helpers/activity-env';
import { FIXTURE_ACCOUNT, FIXTURE_REGION, TEST_CREDENTIALS } from '../helpers/aws';
import { s3Finding } from '../helpers/fixtures';
import { startSuiteMoto } from '../helpers/servers';

const MEMBER = '111111111111';
let moto: MotoServer;

beforeAll(async () => {
  moto = await startSuiteMoto();
});
afterAll(async () => {
  await moto?.stop();
});

/** Counts the STS calls a client makes, and keeps their inputs. */
function countingSts(): {
  sts: STSClient;
  calls: Array<{ command: string; input: Record<string, unknown> }>;
} {
  const sts = new STSClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS });
  const calls: Array<{ command: string; input: Record<string, unknown> }> = [];
  sts.middlewareStack.add(
    (next, context) => async (args) => {
      calls.push({ command: String(context.commandName), input: args.input as Record<string, unknown> });
      return next(args);
    },
    { step: 'initialize', name: 'count' },
  );
  return { sts, calls };
}

it("remediates a member account's bucket through the assumed role, leaving the home account's alone", async () => {
  // Prepare: a public bucket in the member account (created through the assumed role) and one of the same kind at home.
  const clients = new AwsClients({
    endpoint: moto.endpoint,
    credentials: TEST_CREDENTIALS,
    maxAttempts: 1,
    crossAccount: { roleName: 'RemediatorMemberRole', externalId: 'remediator-test' },
  });
  const memberS3 = clients.s3(MEMBER, FIXTURE_REGION);
  const homeS3 = clients.s3(FIXTURE_ACCOUNT, FIXTURE_REGION);
  const create = { CreateBucketConfiguration: { LocationConstraint: FIXTURE_REGION } } as const;
  await memberS3.send(new CreateBucketCommand({ Bucket: 'member-public', ...create }));
  await homeS3.send(new CreateBucketCommand({ Bucket: 'home-bucket', ...create }));
  const activities = createRemediationActivities(createPlaybooks(clients));
  const finding = s3Finding('member-public', {
    resource: {
      account: MEMBER,
      region: FIXTURE_REGION,
      resourceType: 'AWS::S3::Bucket',
      resourceId: 'member-public',
    },
  });
  const request = { finding, playbook: 's3-block-public-access' };

  // Act
  const prior = await runActivity(activities.capturePriorState, request);
  await runActivity(activities.applyStep, { ...request, step: 'put-public-access-block', prior });
  const verification = await runActivity(activities.verify, request);

  // Assess: each account sees only its own bucket; the member's is blocked.
  const memberBuckets = (await memberS3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name);
  const homeBuckets = (await homeS3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name);
  expect(memberBuckets).toEqual(['member-public']);
  expect(homeBuckets).toEqual(['home-bucket']);
  expect(verification.passed).toBe(true);
  const block = await memberS3.send(new GetPublicAccessBlockCommand({ Bucket: 'member-public' }));
  expect(block.PublicAccessBlockConfiguration?.BlockPublicAcls).toBe(true);
  // The playbook's own calls went through the configuration family's clients (its -Config role).
  expect(clients.forFamily('configuration').size).toBe(1);
  clients.destroy();
});

/** Who STS says the credentials of a set's client for `account` are. */
async function callerOf(clients: AwsClients, account: string): Promise<string | undefined> {
  const credentials = await clients.s3(account, FIXTURE_REGION).config.credentials();
  const sts = new STSClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials });
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Arn;
  } finally {
    sts.destroy();
  }
}

it("assumes each family's role in a member account, and none in the worker's own account", async () => {
  const clients = new AwsClients({
    endpoint: moto.endpoint,
    credentials: TEST_CREDENTIALS,
    maxAttempts: 1,
    crossAccount: { roleName: 'RemediatorMemberRole', externalId: 'remediator-test' },
  });
  try {
    const expected: Record<RoleFamily, string> = {
      detection: 'RemediatorMemberRole',
      configuration: 'RemediatorMemberRole-Config',
      'network-containment': 'RemediatorMemberRole-Network',
      'iam-containment': 'RemediatorMemberRole-Iam',
      availability: 'RemediatorMemberRole-Availability',
    };
    for (const family of ROLE_FAMILIES) {
      expect(await callerOf(clients.forFamily(family), MEMBER)).toBe(
        `arn:aws:sts::${MEMBER}:assumed-role/${expected[family]}/remediator`,
      );
    }
    // Home account: the worker's own credentials, whatever the family.
    const home = await callerOf(clients, FIXTURE_ACCOUNT);
    expect(home).not.toContain('assumed-role');
    expect(await callerOf(clients.forFamily('iam-containment'), FIXTURE_ACCOUNT)).toBe(home);
    // One set per family, the base set for detection; the base set counts, evicts and closes theirs.
    expect(clients.forFamily('detection')).toBe(clients);
    expect(clients.forFamily('availability')).toBe(clients.forFamily('availability'));
    expect(clients.size).toBe(ROLE_FAMILIES.length + 2);
    expect(clients.evictIdle(60_000, Date.now() + 60_000)).toBe(ROLE_FAMILIES.length + 2);
    await callerOf(clients.forFamily('network-containment'), MEMBER);
    expect(clients.size).toBe(1);
  } finally {
    clients.destroy();
  }
  expect(clients.size).toBe(0);
});

it('is the base set for every family without cross-account access', () => {
  const clients = new AwsClients({ endpoint: moto.endpoint, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  for (const family of ROLE_FAMILIES) expect(clients.forFamily(family)).toBe(clients);
  clients.destroy();
});

it('assumes the role with the external id once, shares it, and refreshes it five minutes before it expires', async () => {
  const { sts, calls } = countingSts();
  let now = Date.now();
  const provider = assumedRoleProvider(
    sts,
    MEMBER,
    { roleName: 'R', externalId: 'ext-1', sessionDurationSeconds: 900 },
    () => now,
  );

  const [a, b] = await Promise.all([provider(), provider()]);
  const c = await provider();
  now += 11 * 60_000; // 15-minute session: inside the last five minutes.
  const d = await provider();

  const assumes = calls.filter((x) => x.command === 'AssumeRoleCommand');
  expect(assumes).toHaveLength(2);
  expect(assumes[0]?.input).toEqual({
    RoleArn: `arn:aws:iam::${MEMBER}:role/R`,
    RoleSessionName: 'remediator',
    ExternalId: 'ext-1',
    DurationSeconds: 900,
  });
  expect(a).toBe(b);
  expect(c).toBe(a);
  expect(d.accessKeyId).not.toBe(a.accessKeyId);
  sts.destroy();
});
