/**
 * Playbook `s3-account-public-access-block`: all four S3 Block Public Access settings on for the whole account
 * (Config `s3-account-level-public-access-blocks-periodic`, source S3_ACCOUNT_LEVEL_PUBLIC_ACCESS_BLOCKS_PERIODIC, on
 * `AWS::::Account`; Security Hub S3.1). Rollback puts the recorded configuration back, or deletes it when there was
 * none. Approval by default: a site or a dataset shared on purpose through a public bucket stops being reachable.
 */
import {
  DeletePublicAccessBlockCommand,
  GetPublicAccessBlockCommand,
  PutPublicAccessBlockCommand,
  S3ControlClient,
} from '@aws-sdk/client-s3-control';
import { z } from 'zod';
import { isNotFound } from '../activities/aws-errors';
import { definePlaybook } from '../kit/playbook-kit';
import { ACCOUNT_RESOURCE } from './shared/account-resource';

const block = z.object({
  blockPublicAcls: z.boolean(),
  ignorePublicAcls: z.boolean(),
  blockPublicPolicy: z.boolean(),
  restrictPublicBuckets: z.boolean(),
});
type Block = z.infer<typeof block>;

const sdkBlock = (b: Block) => ({
  BlockPublicAcls: b.blockPublicAcls,
  IgnorePublicAcls: b.ignorePublicAcls,
  BlockPublicPolicy: b.blockPublicPolicy,
  RestrictPublicBuckets: b.restrictPublicBuckets,
});
const allOn = (b: Block | null) =>
  !!b && b.blockPublicAcls && b.ignorePublicAcls && b.blockPublicPolicy && b.restrictPublicBuckets;

export const s3AccountPublicAccessBlock = definePlaybook({
  id: 's3-account-public-access-block',
  title: 'Turn on S3 Block Public Access for the account',
  kind: 'configuration',
  defaultMode: 'approve',
  roleFamily: 'configuration',
  resource: ACCOUNT_RESOURCE,
  defaultSeverity: 7,
  triggers: {
    configRules: {
      's3-account-level-public-access-blocks-periodic': {
        identifier: 'S3_ACCOUNT_LEVEL_PUBLIC_ACCESS_BLOCKS_PERIODIC',
        periodic: true,
      },
    },
    securityHubControls: ['S3.1'],
  },
  // DeletePublicAccessBlock (rollback to "none") is authorised by s3:PutAccountPublicAccessBlock.
  iamActions: ['s3:GetAccountPublicAccessBlock', 's3:PutAccountPublicAccessBlock'],
  state: z.object({ accountPublicAccessBlock: block.nullable() }),

  async read({ client, resource, abortSignal }) {
    try {
      const out = await client(S3ControlClient).send(
        new GetPublicAccessBlockCommand({ AccountId: resource.account }),
        { abortSignal },
      );
      const c = out.PublicAccessBlockConfiguration;
      return {
        accountPublicAccessBlock: c
          ? {
              blockPublicAcls: c.BlockPublicAcls === true,
              ignorePublicAcls: c.IgnorePublicAcls === true,
              blockPublicPolicy: c.BlockPublicPolicy === true,
              restrictPublicBuckets: c.RestrictPublicBuckets === true,
            }
          : null,
      };
    } catch (err) {
      // NoSuchPublicAccessBlockConfiguration: none set for the account.
      if (isNotFound(err)) return { accountPublicAccessBlock: null };
      throw err;
    }
  },
  describe: (s) =>
    s.accountPublicAccessBlock
      ? `account Block Public Access: ${Object.entries(s.accountPublicAccessBlock)
          .map(([k, v]) => `${k} ${v ? 'on' : 'off'}`)
          .join(', ')}`
      : 'no account-level Block Public Access',

  steps: [
    {
      id: 'put-account-public-access-block',
      title: 'PutPublicAccessBlock (s3control) with all four settings on',
      onFailure: 'compensate',
      plan: (s, { resource }) =>
        allOn(s.accountPublicAccessBlock)
          ? undefined
          : `PutPublicAccessBlock for account ${resource.account}: all four settings on`,
      async apply({ client, resource, abortSignal }) {
        const on = {
          blockPublicAcls: true,
          ignorePublicAcls: true,
          blockPublicPolicy: true,
          restrictPublicBuckets: true,
        };
        await client(S3ControlClient).send(
          new PutPublicAccessBlockCommand({
            AccountId: resource.account,
            PublicAccessBlockConfiguration: sdkBlock(on),
          }),
          { abortSignal },
        );
        return { changed: true, detail: 'all four settings on' };
      },
      async undo({ client, resource, abortSignal }, prior, current) {
        if (JSON.stringify(prior) === JSON.stringify(current))
          return { changed: false, detail: 'already as recorded' };
        const s3control = client(S3ControlClient);
        if (!prior.accountPublicAccessBlock) {
          await s3control.send(new DeletePublicAccessBlockCommand({ AccountId: resource.account }), {
            abortSignal,
          });
          return { changed: true, detail: 'DeletePublicAccessBlock (there was none)' };
        }
        await s3control.send(
          new PutPublicAccessBlockCommand({
            AccountId: resource.account,
            PublicAccessBlockConfiguration: sdkBlock(prior.accountPublicAccessBlock),
          }),
          { abortSignal },
        );
        return { changed: true, detail: 'PutPublicAccessBlock with the recorded settings' };
      },
    },
  ],
});
