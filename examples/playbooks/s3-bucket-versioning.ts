/**
 * A user playbook, written from scratch against the kit (docs/playbooks.md, Writing your own playbook): versioning on
 * for an S3 bucket (Config `s3-bucket-versioning-enabled`, source S3_BUCKET_VERSIONING_ENABLED; Security Hub S3.14).
 * The worker loads it when the policy names this file in `playbookModules`.
 *
 * It imports only types from the remediator (erased when it runs), so the worker can load it as it is: Node strips
 * the types of a `.ts` file (22.18 and later), or compile it to `.js`. Its runtime imports (zod, the AWS SDK) resolve
 * from the remediator's own node_modules.
 *
 * A bucket that never had versioning cannot go back to "never": undoing the fix suspends versioning. The state says
 * only whether versioning is on, so a rollback restores exactly what it records.
 */
import { GetBucketVersioningCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import type { KitIo, KitPlaybook } from '../../src/kit/playbook-kit';

const state = z.object({ versioning: z.boolean(), mfaDelete: z.boolean() });
type State = z.infer<typeof state>;

async function setVersioning({ client, resource, abortSignal }: KitIo, on: boolean) {
  await client(S3Client).send(
    new PutBucketVersioningCommand({
      Bucket: resource.resourceId,
      VersioningConfiguration: { Status: on ? 'Enabled' : 'Suspended' },
    }),
    { abortSignal },
  );
}

export const s3BucketVersioning = {
  id: 's3-bucket-versioning',
  title: 'Turn on versioning for an S3 bucket',
  kind: 'configuration',
  defaultMode: 'auto',
  roleFamily: 'configuration',
  resource: {
    type: 'AWS::S3::Bucket',
    idPattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    securityHubType: 'AwsS3Bucket',
  },
  defaultSeverity: 4,
  triggers: {
    configRules: { 's3-bucket-versioning-enabled': { identifier: 'S3_BUCKET_VERSIONING_ENABLED' } },
    securityHubControls: ['S3.14'],
  },
  iamActions: ['s3:GetBucketVersioning', 's3:PutBucketVersioning'],
  state,

  async read({ client, resource, abortSignal }) {
    try {
      const out = await client(S3Client).send(
        new GetBucketVersioningCommand({ Bucket: resource.resourceId }),
        {
          abortSignal,
        },
      );
      return { versioning: out.Status === 'Enabled', mfaDelete: out.MFADelete === 'Enabled' };
    } catch (err) {
      if ((err as { name?: string }).name === 'NoSuchBucket') return undefined;
      throw err;
    }
  },
  describe: (s) => `versioning ${s.versioning ? 'on' : 'off'}`,
  // Versioning with MFA delete can only be changed with the root user's MFA device: a person's job.
  cannotFix: (s) =>
    s.mfaDelete
      ? 'MFA delete is on: only the root user with its MFA device can change versioning'
      : undefined,

  steps: [
    {
      id: 'enable-versioning',
      title: 'PutBucketVersioning Enabled',
      onFailure: 'compensate',
      plan: (s, { resource }) =>
        s.versioning ? undefined : `PutBucketVersioning Enabled on ${resource.resourceId}`,
      async apply(io) {
        await setVersioning(io, true);
        return { changed: true, detail: 'PutBucketVersioning Enabled' };
      },
      async undo(io, prior, current) {
        if (prior.versioning || !current.versioning) return { changed: false, detail: 'already as recorded' };
        await setVersioning(io, false);
        return { changed: true, detail: 'PutBucketVersioning Suspended (it was off before)' };
      },
    },
  ],
} satisfies KitPlaybook<State, 's3-bucket-versioning'>;
