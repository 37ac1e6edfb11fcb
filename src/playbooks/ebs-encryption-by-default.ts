/**
 * Playbook `ebs-encryption-by-default`: EBS encryption by default on for an account in one region
 * (Config `ec2-ebs-encryption-by-default` on `AWS::::Account`; Security Hub EC2.7).
 */
import {
  DisableEbsEncryptionByDefaultCommand,
  EC2Client,
  EnableEbsEncryptionByDefaultCommand,
  GetEbsEncryptionByDefaultCommand,
} from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { definePlaybook } from '../kit/playbook-kit';
import { ACCOUNT_RESOURCE } from './shared/account-resource';

export const ebsEncryptionByDefault = definePlaybook({
  id: 'ebs-encryption-by-default',
  title: 'Turn on EBS encryption by default',
  kind: 'configuration',
  defaultMode: 'auto',
  roleFamily: 'configuration',
  resource: ACCOUNT_RESOURCE,
  defaultSeverity: 5,
  triggers: {
    configRules: {
      'ec2-ebs-encryption-by-default': { identifier: 'EC2_EBS_ENCRYPTION_BY_DEFAULT', periodic: true },
    },
    securityHubControls: ['EC2.7'],
  },
  iamActions: [
    'ec2:GetEbsEncryptionByDefault',
    'ec2:EnableEbsEncryptionByDefault',
    'ec2:DisableEbsEncryptionByDefault',
  ],
  state: z.object({ ebsEncryptionByDefault: z.boolean() }),

  async read({ client, abortSignal }) {
    const out = await client(EC2Client).send(new GetEbsEncryptionByDefaultCommand({}), { abortSignal });
    return { ebsEncryptionByDefault: out.EbsEncryptionByDefault === true };
  },
  describe: (s) => `EBS encryption by default is ${s.ebsEncryptionByDefault ? 'on' : 'off'}`,

  steps: [
    {
      id: 'enable-ebs-encryption-by-default',
      title: 'EnableEbsEncryptionByDefault',
      onFailure: 'compensate',
      plan: (s, { resource }) =>
        s.ebsEncryptionByDefault ? undefined : `EnableEbsEncryptionByDefault in ${resource.region}`,
      async apply({ client, abortSignal }) {
        await client(EC2Client).send(new EnableEbsEncryptionByDefaultCommand({}), { abortSignal });
        return { changed: true, detail: 'EnableEbsEncryptionByDefault' };
      },
      async undo({ client, abortSignal }, prior, current) {
        // Switched off only when it was off before: an account that already had it is never weakened.
        if (prior.ebsEncryptionByDefault || !current.ebsEncryptionByDefault) {
          return { changed: false, detail: 'already as recorded' };
        }
        await client(EC2Client).send(new DisableEbsEncryptionByDefaultCommand({}), { abortSignal });
        return { changed: true, detail: 'DisableEbsEncryptionByDefault (it was off before)' };
      },
    },
  ],
});
