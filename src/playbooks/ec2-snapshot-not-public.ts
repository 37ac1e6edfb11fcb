/**
 * Playbook `ec2-snapshot-not-public`: none of the account's own EBS snapshots in a region can be restored by anyone
 * (Config `ebs-snapshot-public-restorable-check`, source EBS_SNAPSHOT_PUBLIC_RESTORABLE_CHECK, periodic; Security Hub
 * EC2.1). Config and Security Hub report this on the account (`AWS::::Account`, the id being the account itself),
 * never on a snapshot, so the resource is the account in the finding's region and the state is the list of its
 * snapshots whose `createVolumePermission` includes the group `all`.
 *
 * The fix removes `all` from each of them (accounts named in the permission keep their access); rollback adds it back
 * to exactly the recorded snapshots that still exist. Automatic by default: a public snapshot is a data leak, and a
 * snapshot shared with the world on purpose is rare enough to be exempted by tag or by the policy.
 *
 * The candidates come from `DescribeSnapshots` (own snapshots restorable by `all`), and each is confirmed with
 * `DescribeSnapshotAttribute` before it counts.
 */
import {
  DescribeSnapshotAttributeCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  ModifySnapshotAttributeCommand,
} from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { isNotFound } from '../activities/aws-errors';
import type { KitIo } from '../kit/playbook-kit';
import { definePlaybook } from '../kit/playbook-kit';
import { ACCOUNT_RESOURCE } from './shared/account-resource';

/** The account's own snapshots in the region that anyone can restore, sorted. */
async function publicSnapshots({ client, resource, abortSignal }: KitIo): Promise<string[]> {
  const ec2 = client(EC2Client);
  const candidates: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(
      new DescribeSnapshotsCommand({
        OwnerIds: ['self'],
        RestorableByUserIds: ['all'],
        // The same as OwnerIds, as a filter: an emulator that ignores OwnerIds still lists only the account's own.
        Filters: [{ Name: 'owner-id', Values: [resource.account] }],
        ...(NextToken ? { NextToken } : {}),
      }),
      { abortSignal },
    );
    for (const s of page.Snapshots ?? []) if (s.SnapshotId) candidates.push(s.SnapshotId);
    NextToken = page.NextToken;
  } while (NextToken);

  const confirmed: string[] = [];
  for (const SnapshotId of candidates) {
    try {
      const out = await ec2.send(
        new DescribeSnapshotAttributeCommand({ SnapshotId, Attribute: 'createVolumePermission' }),
        { abortSignal },
      );
      if ((out.CreateVolumePermissions ?? []).some((p) => p.Group === 'all')) confirmed.push(SnapshotId);
    } catch (err) {
      // Deleted since it was listed: not public any more.
      if (!isNotFound(err)) throw err;
    }
  }
  return [...new Set(confirmed)].sort();
}

/** Adds or removes the group `all` on one snapshot's create-volume permission; false when the snapshot is gone. */
async function setPublic(io: KitIo, SnapshotId: string, on: boolean): Promise<boolean> {
  try {
    // OperationType and GroupNames: the form the AWS CLI documents for `--operation-type remove --group-names all`.
    await io.client(EC2Client).send(
      new ModifySnapshotAttributeCommand({
        SnapshotId,
        Attribute: 'createVolumePermission',
        OperationType: on ? 'add' : 'remove',
        GroupNames: ['all'],
      }),
      { abortSignal: io.abortSignal },
    );
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

const listed = (ids: readonly string[]) =>
  ids.length <= 5 ? ids.join(', ') : `${ids.slice(0, 5).join(', ')} and ${ids.length - 5} more`;

export const ec2SnapshotNotPublic = definePlaybook({
  id: 'ec2-snapshot-not-public',
  title: "Stop the account's EBS snapshots from being restorable by anyone",
  kind: 'configuration',
  defaultMode: 'auto',
  roleFamily: 'configuration',
  resource: ACCOUNT_RESOURCE,
  defaultSeverity: 9,
  triggers: {
    configRules: {
      'ebs-snapshot-public-restorable-check': {
        identifier: 'EBS_SNAPSHOT_PUBLIC_RESTORABLE_CHECK',
        periodic: true,
      },
    },
    securityHubControls: ['EC2.1'],
  },
  iamActions: ['ec2:DescribeSnapshots', 'ec2:DescribeSnapshotAttribute', 'ec2:ModifySnapshotAttribute'],
  // The ids of the account's own snapshots in the region restorable by `all`, sorted.
  state: z.object({ publicSnapshots: z.array(z.string()) }),

  async read(io) {
    return { publicSnapshots: await publicSnapshots(io) };
  },
  describe: (s) =>
    s.publicSnapshots.length === 0
      ? 'no EBS snapshot restorable by anyone'
      : `${s.publicSnapshots.length} EBS snapshot(s) restorable by anyone: ${listed(s.publicSnapshots)}`,

  steps: [
    {
      id: 'make-snapshots-private',
      title: "ModifySnapshotAttribute createVolumePermission: remove the group 'all'",
      onFailure: 'compensate',
      plan: (s, { resource }) =>
        s.publicSnapshots.length === 0
          ? undefined
          : `ModifySnapshotAttribute (remove group all) in ${resource.region}: ${listed(s.publicSnapshots)}`,
      async apply(io, current) {
        const done: string[] = [];
        for (const id of current.publicSnapshots) if (await setPublic(io, id, false)) done.push(id);
        return { changed: done.length > 0, detail: `made private: ${listed(done)}` };
      },
      async undo(io, prior, current) {
        // Exactly the recorded snapshots that are private now; one deleted since stays deleted.
        const now = new Set(current.publicSnapshots);
        const restore = prior.publicSnapshots.filter((id) => !now.has(id));
        const done: string[] = [];
        for (const id of restore) if (await setPublic(io, id, true)) done.push(id);
        return done.length === 0
          ? { changed: false, detail: 'already as recorded' }
          : { changed: true, detail: `restorable by anyone again (as recorded): ${listed(done)}` };
      },
    },
  ],
});
