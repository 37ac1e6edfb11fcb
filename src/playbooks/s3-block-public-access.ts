/**
 * Playbook `s3-block-public-access`: all four bucket-level S3 Block Public Access settings on (Config
 * `s3-bucket-public-read-prohibited` / `-write-`, sources S3_BUCKET_PUBLIC_READ_PROHIBITED / _WRITE_, on
 * `AWS::S3::Bucket`; Security Hub S3.2, S3.3, S3.8; GuardDuty's public-bucket findings, whatever their severity).
 *
 * The state is the bucket's configuration as S3 reports it (`null`: it has none), so rollback puts the recorded
 * settings back exactly, or deletes the configuration when there was none. A bucket S3 does not know is gone.
 */
import {
  DeletePublicAccessBlockCommand,
  GetPublicAccessBlockCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { z } from 'zod';
import { awsErrorName, isNotFound } from '../activities/aws-errors';
import { GUARDDUTY_PUBLIC_BUCKET_TYPES } from '../ingest/normalise-guardduty';
import { definePlaybook } from '../kit/playbook-kit';
import { BUCKET_RESOURCE } from './shared/resource-ids';

/** The four settings, each as S3 reports it (a setting S3 leaves out is off). */
const block = z.object({
  BlockPublicAcls: z.boolean(),
  IgnorePublicAcls: z.boolean(),
  BlockPublicPolicy: z.boolean(),
  RestrictPublicBuckets: z.boolean(),
});
export type PublicAccessBlock = z.infer<typeof block>;

const FULL_BLOCK: PublicAccessBlock = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};
const SETTINGS = Object.keys(FULL_BLOCK) as (keyof PublicAccessBlock)[];

/** True when every one of the four settings is on. */
export function isFullyBlocked(b: PublicAccessBlock | null): boolean {
  return b !== null && SETTINGS.every((k) => b[k]);
}

function sameBlock(a: PublicAccessBlock | null, b: PublicAccessBlock | null): boolean {
  if (a === null || b === null) return a === b;
  return SETTINGS.every((k) => a[k] === b[k]);
}

export const s3BlockPublicAccess = definePlaybook({
  id: 's3-block-public-access',
  title: 'Block S3 public access',
  kind: 'configuration',
  defaultMode: 'auto',
  roleFamily: 'configuration',
  resource: BUCKET_RESOURCE,
  defaultSeverity: 7,
  triggers: {
    configRules: {
      's3-bucket-public-read-prohibited': { identifier: 'S3_BUCKET_PUBLIC_READ_PROHIBITED' },
      's3-bucket-public-write-prohibited': { identifier: 'S3_BUCKET_PUBLIC_WRITE_PROHIBITED' },
    },
    securityHubControls: ['S3.2', 'S3.3', 'S3.8'],
    guardDutyTypes: GUARDDUTY_PUBLIC_BUCKET_TYPES,
    // GuardDuty rates a bucket's Block Public Access turned off as low; it is closed all the same.
    guardDutyMinSeverity: 0,
  },
  // DeletePublicAccessBlock (rollback to "none") is authorised by s3:PutBucketPublicAccessBlock.
  iamActions: ['s3:GetBucketPublicAccessBlock', 's3:PutBucketPublicAccessBlock'],
  state: z.object({ publicAccessBlock: block.nullable() }),

  async read({ client, resource, abortSignal }) {
    try {
      const out = await client(S3Client).send(
        new GetPublicAccessBlockCommand({ Bucket: resource.resourceId }),
        {
          abortSignal,
        },
      );
      const c = out.PublicAccessBlockConfiguration;
      return {
        publicAccessBlock: {
          BlockPublicAcls: c?.BlockPublicAcls ?? false,
          IgnorePublicAcls: c?.IgnorePublicAcls ?? false,
          BlockPublicPolicy: c?.BlockPublicPolicy ?? false,
          RestrictPublicBuckets: c?.RestrictPublicBuckets ?? false,
        },
      };
    } catch (err) {
      // The bucket is there without a configuration; NoSuchBucket (or any other not-found): it is gone.
      if (awsErrorName(err) === 'NoSuchPublicAccessBlockConfiguration') return { publicAccessBlock: null };
      if (isNotFound(err)) return undefined;
      throw err;
    }
  },
  describe({ publicAccessBlock: b }) {
    if (b === null) return 'bucket has no public access block';
    if (isFullyBlocked(b))
      return 'all four Block Public Access settings on: the bucket blocks all public access';
    return `public access block is incomplete: ${SETTINGS.map((k) => `${k} ${b[k] ? 'on' : 'off'}`).join(', ')}`;
  },

  steps: [
    {
      id: 'put-public-access-block',
      title: 'Turn on all four Block Public Access settings',
      onFailure: 'compensate',
      plan: (s, { resource }) =>
        isFullyBlocked(s.publicAccessBlock)
          ? undefined
          : `PutPublicAccessBlock on ${resource.resourceId}: BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets = true`,
      async apply({ client, resource, abortSignal }) {
        await client(S3Client).send(
          new PutPublicAccessBlockCommand({
            Bucket: resource.resourceId,
            PublicAccessBlockConfiguration: FULL_BLOCK,
          }),
          { abortSignal },
        );
        return { changed: true, detail: 'PutPublicAccessBlock with all four settings on' };
      },
      async undo({ client, resource, abortSignal }, prior, current) {
        const recorded = prior.publicAccessBlock;
        if (sameBlock(current.publicAccessBlock, recorded))
          return { changed: false, detail: 'already as recorded' };
        const s3 = client(S3Client);
        if (recorded === null) {
          await s3.send(new DeletePublicAccessBlockCommand({ Bucket: resource.resourceId }), { abortSignal });
          return { changed: true, detail: 'deleted the public access block (the bucket had none)' };
        }
        await s3.send(
          new PutPublicAccessBlockCommand({
            Bucket: resource.resourceId,
            PublicAccessBlockConfiguration: recorded,
          }),
          { abortSignal },
        );
        return { changed: true, detail: `restored ${JSON.stringify(recorded)}` };
      },
    },
  ],
});
