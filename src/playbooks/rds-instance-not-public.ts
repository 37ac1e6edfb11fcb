/**
 * Playbook `rds-instance-not-public`: a DB instance no longer publicly accessible (Config
 * `rds-instance-public-access-check`, source RDS_INSTANCE_PUBLIC_ACCESS_CHECK, on `AWS::RDS::DBInstance`; Security Hub
 * RDS.2). `ModifyDBInstance PubliclyAccessible=false` with `ApplyImmediately`: the instance's DNS name stops
 * resolving to a public address. Approval by default: clients outside the VPC (an office, a SaaS tool, a developer's
 * laptop) lose their connection.
 *
 * Security Hub names the instance by its identifier (`…:db:<identifier>`); Config most likely by its `DbiResourceId`
 * (`db-` and upper-case letters and digits; docs/catalogue-identifiers.md). Both are accepted: a resource id is looked
 * up with the `dbi-resource-id` filter. Identifiers are stored in lower case, so an upper-case `db-…` is a resource id.
 */
import { DescribeDBInstancesCommand, ModifyDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { z } from 'zod';
import { isNotFound } from '../activities/aws-errors';
import { definePlaybook } from '../kit/playbook-kit';
import type { KitIo } from '../kit/playbook-kit';

/** A `DbiResourceId`: `db-` and upper-case base-32 characters. */
const RESOURCE_ID = /^db-[A-Z0-9]{16,32}$/;

async function setPublic(io: KitIo, dbInstanceIdentifier: string, publiclyAccessible: boolean) {
  await io.client(RDSClient).send(
    new ModifyDBInstanceCommand({
      DBInstanceIdentifier: dbInstanceIdentifier,
      PubliclyAccessible: publiclyAccessible,
      ApplyImmediately: true,
    }),
    { abortSignal: io.abortSignal },
  );
}

export const rdsInstanceNotPublic = definePlaybook({
  id: 'rds-instance-not-public',
  title: 'Make an RDS DB instance not publicly accessible',
  kind: 'configuration',
  defaultMode: 'approve',
  roleFamily: 'configuration',
  resource: {
    type: 'AWS::RDS::DBInstance',
    // A `DbiResourceId` (Config), or a DB instance identifier (Security Hub): a letter, then up to 62 letters, digits
    // and hyphens.
    idPattern: /^(?:db-[A-Z0-9]{16,32}|[A-Za-z][A-Za-z0-9-]{0,62})$/,
    securityHubType: 'AwsRdsDbInstance',
  },
  defaultSeverity: 9,
  triggers: {
    configRules: { 'rds-instance-public-access-check': { identifier: 'RDS_INSTANCE_PUBLIC_ACCESS_CHECK' } },
    securityHubControls: ['RDS.2'],
  },
  iamActions: ['rds:DescribeDBInstances', 'rds:ModifyDBInstance'],
  state: z.object({
    /** The identifier the calls use (the finding may name the instance by its resource id). */
    dbInstanceIdentifier: z.string(),
    publiclyAccessible: z.boolean(),
  }),

  async read({ client, resource, abortSignal }) {
    const id = resource.resourceId;
    let instance;
    try {
      const out = await client(RDSClient).send(
        new DescribeDBInstancesCommand(
          RESOURCE_ID.test(id)
            ? { Filters: [{ Name: 'dbi-resource-id', Values: [id] }] }
            : { DBInstanceIdentifier: id },
        ),
        { abortSignal },
      );
      // Identifiers are case-insensitive (stored in lower case).
      instance = out.DBInstances?.find(
        (i) => i.DbiResourceId === id || i.DBInstanceIdentifier?.toLowerCase() === id.toLowerCase(),
      );
    } catch (err) {
      // DBInstanceNotFound (404); a filter that matches nothing gives an empty list instead.
      if (isNotFound(err)) return undefined;
      throw err;
    }
    if (!instance?.DBInstanceIdentifier || instance.DBInstanceStatus === 'deleting') return undefined;
    return {
      dbInstanceIdentifier: instance.DBInstanceIdentifier,
      publiclyAccessible: instance.PubliclyAccessible === true,
    };
  },
  describe: (s) => `${s.dbInstanceIdentifier} is ${s.publiclyAccessible ? '' : 'not '}publicly accessible`,

  steps: [
    {
      id: 'disable-public-access',
      title: 'ModifyDBInstance PubliclyAccessible=false, ApplyImmediately',
      onFailure: 'compensate',
      plan: (s) =>
        s.publiclyAccessible
          ? `ModifyDBInstance PubliclyAccessible=false ApplyImmediately on ${s.dbInstanceIdentifier}`
          : undefined,
      async apply(io, current) {
        await setPublic(io, current.dbInstanceIdentifier, false);
        return { changed: true, detail: 'PubliclyAccessible=false' };
      },
      async undo(io, prior, current) {
        if (!prior.publiclyAccessible || current.publiclyAccessible)
          return { changed: false, detail: 'already as recorded' };
        await setPublic(io, current.dbInstanceIdentifier, true);
        return { changed: true, detail: 'PubliclyAccessible=true (as it was)' };
      },
    },
  ],
});
