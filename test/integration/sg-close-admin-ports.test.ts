/**
 * The security-group playbook's activities against moto: every rule shape, split ranges, exact compensation.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
} from '@aws-sdk/client-ec2';
import type { EC2Client, IpPermission } from '@aws-sdk/client-ec2';
import { createPlaybooks } from '../../src/activities';
import { sgCloseAdminPorts, toPieces } from '../../src/playbooks/sg-close-admin-ports';
import { createRemediationActivities } from '../../src/activities/remediation-activities';
import type { AwsClients } from '../../src/aws/clients';
import type { MotoServer } from '../../src/devstack/moto-server';
import { pieceKey } from '../../src/domain/security-group-rules';
import { FIXTURE_ACCOUNT, FIXTURE_REGION, motoClients } from '../helpers/aws';
import { motoEc2 } from '../helpers/ec2';
import { configFinding } from '../helpers/fixtures';
import { runActivity } from '../helpers/activity-env';
import { startSuiteMoto } from '../helpers/servers';

let moto: MotoServer;
let clients: AwsClients;
let ec2: EC2Client;
let activities: ReturnType<typeof createRemediationActivities>;
const run = runActivity;

const ADD = 'authorize-remaining-ports';
const REVOKE = 'revoke-world-open-admin-ports';

beforeAll(async () => {
  moto = await startSuiteMoto();
  clients = motoClients(moto.endpoint);
  ec2 = motoEc2(moto.endpoint);
  activities = createRemediationActivities(createPlaybooks(clients));
});
afterAll(async () => {
  clients?.destroy();
  ec2?.destroy();
  await moto?.stop();
});
beforeEach(() => moto.reset());

async function groupWith(permissions: IpPermission[]): Promise<string> {
  const { GroupId } = await ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: `g-${Math.random().toString(36).slice(2, 8)}`,
      Description: 'test',
    }),
  );
  if (!GroupId) throw new Error('no group id');
  if (permissions.length > 0) {
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: permissions }));
  }
  return GroupId;
}

async function rulesOf(groupId: string): Promise<string[]> {
  const out = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
  return toPieces(out.SecurityGroups?.[0]?.IpPermissions).map(pieceKey).sort();
}

const request = (groupId: string, control = 'restricted-ssh', details: Record<string, string> = {}) => ({
  finding: configFinding(
    control,
    {
      account: FIXTURE_ACCOUNT,
      region: FIXTURE_REGION,
      resourceType: 'AWS::EC2::SecurityGroup',
      resourceId: groupId,
    },
    { details: { complianceType: 'NON_COMPLIANT', ...details } },
  ),
  playbook: 'sg-close-admin-ports',
});

/** analyse → capture → apply each planned step twice (idempotence) → verify. */
async function remediate(req: ReturnType<typeof request>) {
  const analysis = await run(activities.analyze, req);
  const prior = await run(activities.capturePriorState, req);
  const results = [];
  for (const planned of analysis.plan) {
    results.push(await run(activities.applyStep, { ...req, step: planned.step, prior }));
    results.push(await run(activities.applyStep, { ...req, step: planned.step, prior }));
  }
  const verification = await run(activities.verify, req);
  return { analysis, prior, results, verification };
}

it('revokes world-open SSH on IPv4 and IPv6, keeping the same port for other CIDRs', async () => {
  const id = await groupWith([
    {
      IpProtocol: 'tcp',
      FromPort: 22,
      ToPort: 22,
      IpRanges: [{ CidrIp: '0.0.0.0/0' }, { CidrIp: '10.0.0.0/8' }],
      Ipv6Ranges: [{ CidrIpv6: '::/0' }],
    },
    { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
  ]);
  const { analysis, results, verification } = await remediate(request(id));
  expect(analysis.plan.map((p) => p.step)).toEqual([REVOKE]);
  expect(results.map((r) => r.changed)).toEqual([true, false]);
  expect(verification.passed).toBe(true);
  expect(await rulesOf(id)).toEqual(['tcp|22|22|10.0.0.0/8|', 'tcp|443|443|0.0.0.0/0|']);
});

it('splits a wide world-open range so only the blocked ports close, then restores it exactly', async () => {
  const id = await groupWith([
    {
      IpProtocol: 'tcp',
      FromPort: 0,
      ToPort: 65535,
      IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'legacy open' }],
    },
  ]);
  const before = await rulesOf(id);
  const req = request(id, 'restricted-common-ports');
  const { analysis, prior, verification } = await remediate(req);

  expect(analysis.plan.map((p) => p.step)).toEqual([ADD, REVOKE]);
  expect(verification.passed).toBe(true);
  expect(await rulesOf(id)).toEqual(
    ['tcp|0|19|', 'tcp|22|3305|', 'tcp|3307|3388|', 'tcp|3390|4332|', 'tcp|4334|65535|']
      .map((p) => `${p}0.0.0.0/0|`)
      .sort(),
  );

  // Compensation in reverse restores exactly the prior rules, and is idempotent.
  const undoRevoke = await run(activities.compensateStep, { ...req, step: REVOKE, prior });
  const undoAdd = await run(activities.compensateStep, { ...req, step: ADD, prior });
  const again = await run(activities.compensateStep, { ...req, step: ADD, prior });
  expect([undoRevoke.changed, undoAdd.changed, again.changed]).toEqual([true, true, false]);
  expect(await rulesOf(id)).toEqual(before);
  const restored = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [id] }));
  expect(restored.SecurityGroups?.[0]?.IpPermissions?.[0]?.IpRanges?.[0]?.Description).toBe('legacy open');
});

it('uses the rule parameters of restricted-common-ports', async () => {
  const id = await groupWith([
    { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
    { IpProtocol: 'tcp', FromPort: 3389, ToPort: 3389, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
  ]);
  const { verification } = await remediate(
    request(id, 'restricted-common-ports', { 'param.blockedPort1': '5432' }),
  );
  expect(verification.passed).toBe(true);
  expect(await rulesOf(id)).toEqual(['tcp|3389|3389|0.0.0.0/0|']);
});

it('needs approval to narrow a world-open all-protocol rule; once applied only SSH is closed, and it restores exactly', async () => {
  const id = await groupWith([{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }]);
  const req = request(id);
  const analysis = await run(activities.analyze, req);
  const prior = await run(activities.capturePriorState, req);
  for (const p of analysis.plan) await run(activities.applyStep, { ...req, step: p.step, prior });
  const narrowed = await rulesOf(id);
  const verification = await run(activities.verify, req);
  for (const p of [...analysis.plan].reverse())
    await run(activities.compensateStep, { ...req, step: p.step, prior });

  expect(analysis).toMatchObject({
    verdict: 'needs_approval',
    reason: expect.stringContaining('every other IP protocol loses its world-open access'),
    plan: [{ step: 'authorize-remaining-ports' }, { step: 'revoke-world-open-admin-ports' }],
  });
  expect(narrowed).toEqual([
    'icmp|-1|-1|0.0.0.0/0|',
    'tcp|0|21|0.0.0.0/0|',
    'tcp|23|65535|0.0.0.0/0|',
    'udp|0|65535|0.0.0.0/0|',
  ]);
  expect(verification.passed).toBe(true);
  expect(await rulesOf(id)).toEqual(['-1|-1|-1|0.0.0.0/0|']);
});

it('is NO_ACTION when nothing world-open covers a blocked port, or the group is gone', async () => {
  const fine = await groupWith([
    { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '192.0.2.0/24' }] },
  ]);
  const gone = await groupWith([]);
  await ec2.send(new DeleteSecurityGroupCommand({ GroupId: gone }));
  expect((await run(activities.analyze, request(fine))).verdict).toBe('no_action');
  expect((await run(activities.analyze, request(gone))).verdict).toBe('no_action');
});

it('rolls back from a prior the legacy code recorded (its unsorted pieces, its field names)', async () => {
  const id = await groupWith([
    {
      IpProtocol: 'tcp',
      FromPort: 0,
      ToPort: 1024,
      IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'wide' }, { CidrIp: '10.0.0.0/8' }],
    },
  ]);
  const before = await rulesOf(id);
  const req = request(id);
  // As `capturePriorState` of the playbook before the kit returned it.
  const prior = {
    ingress: [
      { protocol: 'tcp', fromPort: 0, toPort: 1024, cidrIpv4: '10.0.0.0/8' },
      { protocol: 'tcp', fromPort: 0, toPort: 1024, cidrIpv4: '0.0.0.0/0', description: 'wide' },
    ],
    blockedPorts: [22],
  };
  expect(sgCloseAdminPorts.state.safeParse(prior).success).toBe(true);
  const applied = [
    await run(activities.applyStep, { ...req, step: ADD, prior }),
    await run(activities.applyStep, { ...req, step: REVOKE, prior }),
  ];
  expect(applied.map((r) => r.changed)).toEqual([true, true]);
  expect(await rulesOf(id)).toEqual(
    ['tcp|0|1024|10.0.0.0/8|', 'tcp|0|21|0.0.0.0/0|', 'tcp|23|1024|0.0.0.0/0|'].sort(),
  );
  await run(activities.compensateStep, { ...req, step: REVOKE, prior });
  await run(activities.compensateStep, { ...req, step: ADD, prior });
  expect(await rulesOf(id)).toEqual(before);
});
