/**
 * Playbook `rds-snapshot-not-public`: a manual DB snapshot no longer restorable by every AWS account (Config
 * `rds-snapshots-public-prohibited`, source RDS_SNAPSHOTS_PUBLIC_PROHIBITED, on `AWS::RDS::DBSnapshot`; Security
 * Hub RDS.1). Only the `all` value of the snapshot's `restore` attribute is removed: the accounts it is shared with by
 * id keep their access. Rollback adds `all` back.
 *
 * DB cluster snapshots (`AWS::RDS::DBClusterSnapshot`, Security Hub `AwsRdsDbClusterSnapshot`), which the same rule and
 * control also report, are not handled: they are another resource type with their own calls
 * (`ModifyDBClusterSnapshotAttribute`), so such findings are not routed here.
 */
import {
  DescribeDBSnapshotAttributesCommand,
  ModifyDBSnapshotAttributeCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { z } from 'zod';
import { isNotFound } from '../activities/aws-errors';
import { definePlaybook } from '../kit/playbook-kit';
import type { KitIo } from '../kit/playbook-kit';

/** The `restore` value that makes a snapshot public. */
const PUBLIC = 'all';

async function modifyRestore(io: KitIo, change: { ValuesToAdd: string[] } | { ValuesToRemove: string[] }) {
  await io.client(RDSClient).send(
    new ModifyDBSnapshotAttributeCommand({
      DBSnapshotIdentifier: io.resource.resourceId,
      AttributeName: 'restore',
      ...change,
    }),
    { abortSignal: io.abortSignal },
  );
}

export const rdsSnapshotNotPublic = definePlaybook({
  id: 'rds-snapshot-not-public',
  title: 'Make a public RDS DB snapshot private',
  kind: 'configuration',
  defaultMode: 'auto',
  roleFamily: 'configuration',
  resource: {
    type: 'AWS::RDS::DBSnapshot',
    // A DB snapshot identifier: a letter, then up to 254 letters, digits and hyphens (only manual snapshots, which
    // have no `rds:` prefix, can be shared).
    idPattern: /^[A-Za-z][A-Za-z0-9-]{0,254}$/,
    securityHubType: 'AwsRdsDbSnapshot',
  },
  defaultSeverity: 9,
  triggers: {
    configRules: { 'rds-snapshots-public-prohibited': { identifier: 'RDS_SNAPSHOTS_PUBLIC_PROHIBITED' } },
    securityHubControls: ['RDS.1'],
  },
  iamActions: ['rds:DescribeDBSnapshotAttributes', 'rds:ModifyDBSnapshotAttribute'],
  state: z.object({
    /** Who may restore the snapshot: account ids, and `all` when it is public (sorted). */
    restore: z.array(z.string()),
  }),

  async read({ client, resource, abortSignal }) {
    try {
      const out = await client(RDSClient).send(
        new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: resource.resourceId }),
        { abortSignal },
      );
      const restore = out.DBSnapshotAttributesResult?.DBSnapshotAttributes?.find(
        (a) => a.AttributeName === 'restore',
      );
      return { restore: [...(restore?.AttributeValues ?? [])].sort() };
    } catch (err) {
      // DBSnapshotNotFound (404).
      if (isNotFound(err)) return undefined;
      throw err;
    }
  },
  describe: (s) => {
    const accounts = s.restore.filter((v) => v !== PUBLIC);
    const shared = accounts.length > 0 ? `shared with ${accounts.join(', ')}` : 'shared with no account';
    return `${s.restore.includes(PUBLIC) ? 'public' : 'private'}, ${shared}`;
  },

  steps: [
    {
      id: 'remove-public-restore',
      title: "ModifyDBSnapshotAttribute restore ValuesToRemove ['all']",
      onFailure: 'compensate',
      plan: (s, { resource }) =>
        s.restore.includes(PUBLIC)
          ? `ModifyDBSnapshotAttribute restore ValuesToRemove [all] on ${resource.resourceId}`
          : undefined,
      async apply(io) {
        await modifyRestore(io, { ValuesToRemove: [PUBLIC] });
        return { changed: true, detail: "restore: 'all' removed" };
      },
      async undo(io, prior, current) {
        if (!prior.restore.includes(PUBLIC) || current.restore.includes(PUBLIC))
          return { changed: false, detail: 'already as recorded' };
        await modifyRestore(io, { ValuesToAdd: [PUBLIC] });
        return { changed: true, detail: "restore: 'all' added back (it was public)" };
      },
    },
  ],
});
