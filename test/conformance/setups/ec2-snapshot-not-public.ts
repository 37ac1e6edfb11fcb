/**
 * Conformance setup of `ec2-snapshot-not-public`: the account's snapshots in the fixture region. Non-compliant: two
 * fresh public snapshots (one also shared with a named account, which keeps its access) next to a private one;
 * compliant: no snapshot of the account left public (earlier cases' ones made private).
 */
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeSnapshotAttributeCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  ModifySnapshotAttributeCommand,
} from '@aws-sdk/client-ec2';
import { ec2SnapshotNotPublic } from '../../../src/playbooks/ec2-snapshot-not-public';
import { TEST_CREDENTIALS } from '../../helpers/aws';
import { accountFinding } from '../conformance-setup';
import type { ConformanceEnv, ConformanceSetup } from '../conformance-setup';

const RULE = 'ebs-snapshot-public-restorable-check';

async function snapshot(ec2: EC2Client, env: ConformanceEnv, share: { all?: boolean; userId?: string }) {
  const volume = (await ec2.send(new CreateVolumeCommand({ AvailabilityZone: `${env.region}a`, Size: 1 })))
    .VolumeId!;
  const id = (await ec2.send(new CreateSnapshotCommand({ VolumeId: volume, Description: env.unique })))
    .SnapshotId!;
  const groups = share.all ? ['all'] : [];
  const users = share.userId ? [share.userId] : [];
  if (groups.length > 0 || users.length > 0) {
    await ec2.send(
      new ModifySnapshotAttributeCommand({
        SnapshotId: id,
        Attribute: 'createVolumePermission',
        OperationType: 'add',
        GroupNames: groups,
        UserIds: users,
      }),
    );
  }
  return id;
}

async function snapshots(env: ConformanceEnv, exposed: boolean) {
  const ec2 = new EC2Client({ endpoint: env.endpoint, region: env.region, credentials: TEST_CREDENTIALS });
  try {
    if (exposed) {
      await snapshot(ec2, env, { all: true });
      await snapshot(ec2, env, { all: true, userId: '210987654321' });
      await snapshot(ec2, env, { userId: '210987654321' });
    } else {
      await snapshot(ec2, env, { userId: '210987654321' });
      const own = await ec2.send(
        new DescribeSnapshotsCommand({ Filters: [{ Name: 'owner-id', Values: [env.account] }] }),
      );
      for (const { SnapshotId } of own.Snapshots ?? []) {
        const permissions = await ec2.send(
          new DescribeSnapshotAttributeCommand({ SnapshotId, Attribute: 'createVolumePermission' }),
        );
        if (permissions.CreateVolumePermissions?.some((p) => p.Group === 'all')) {
          await ec2.send(
            new ModifySnapshotAttributeCommand({
              SnapshotId,
              Attribute: 'createVolumePermission',
              OperationType: 'remove',
              GroupNames: ['all'],
            }),
          );
        }
      }
    }
  } finally {
    ec2.destroy();
  }
  return accountFinding(env, RULE);
}

export const setup: ConformanceSetup = {
  playbook: ec2SnapshotNotPublic,
  // Security Hub's EC2.1 routes here too, about `AwsAccount`; like the other account-level playbooks, no fixture of it.
  events: ['config-ebs-snapshot-public-restorable-noncompliant.json', 'securityhub-ec2.1-failed.json'],
  nonCompliant: (env) => snapshots(env, true),
  compliant: (env) => snapshots(env, false),
};
