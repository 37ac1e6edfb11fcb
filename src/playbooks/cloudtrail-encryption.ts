/**
 * Playbook `cloudtrail-encryption`: a CloudTrail trail's log files encrypted with a customer managed KMS key (SSE-KMS)
 * (Config `cloud-trail-encryption-enabled`, source CLOUD_TRAIL_ENCRYPTION_ENABLED, periodic, on
 * `AWS::CloudTrail::Trail`; Security Hub CloudTrail.2, `AwsCloudTrailTrail`, ARN `…:trail/<name>` → the trail name).
 *
 * Option `kmsKeyArn` (policy `playbooks.cloudtrail-encryption.options.kmsKeyArn`, required): the key or alias ARN the
 * trail is to use. There is no AWS managed key for CloudTrail to fall back on, so without it the finding is escalated,
 * never guessed. The key's policy must let CloudTrail use it (`kms:GenerateDataKey*`, `kms:DescribeKey` for
 * `cloudtrail.amazonaws.com`); CloudTrail checks that itself and refuses the update otherwise
 * (InsufficientEncryptionPolicyException), which fails the step without a change.
 *
 * Approval by default: whoever reads the logs (a SIEM, Athena, an auditor's role) then also needs `kms:Decrypt` on the
 * key, or stops being able to read new log files.
 *
 * Rollback gives back the recorded key, or removes SSE-KMS when there was none with `UpdateTrail KmsKeyId=""`: the
 * CloudTrail user guide says so ("To stop encrypting logs on a trail, run update-trail and pass an empty string to the
 * kms-key-id parameter", awsdocs/aws-cloudtrail-user-guide, doc_source/cloudtrail-log-file-encryption-cli.md at
 * 12cca480), after which GetTrail has no `KmsKeyId`. moto 5.2.1 accepts the empty string too and then returns
 * `KmsKeyId: ""`, which this playbook reads as "no key" (neither checks that a key exists).
 *
 * Like `cloudtrail-log-file-validation`, a trail homed in another region, or another account's organization trail, is
 * escalated, never changed from here.
 */
import { CloudTrailClient, UpdateTrailCommand } from '@aws-sdk/client-cloudtrail';
import { z } from 'zod';
import { definePlaybook } from '../kit/playbook-kit';
import type { KitIo } from '../kit/playbook-kit';
import { elsewhere, readTrail, TRAIL_NAME } from './shared/cloudtrail-trails';

/** A KMS key or alias ARN. */
const KMS_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(?:key|alias)\/[A-Za-z0-9/_-]+$/;

/** The policy's key, when it gives one of the right shape. */
const keyOf = ({ options }: KitIo): string | undefined =>
  typeof options.kmsKeyArn === 'string' && KMS_ARN.test(options.kmsKeyArn) ? options.kmsKeyArn : undefined;

export const cloudtrailEncryption = definePlaybook({
  id: 'cloudtrail-encryption',
  title: "Encrypt a CloudTrail trail's log files with the policy's KMS key",
  kind: 'configuration',
  defaultMode: 'approve',
  roleFamily: 'configuration',
  resource: {
    type: 'AWS::CloudTrail::Trail',
    idPattern: TRAIL_NAME,
    securityHubType: 'AwsCloudTrailTrail',
  },
  defaultSeverity: 5,
  triggers: {
    configRules: {
      'cloud-trail-encryption-enabled': { identifier: 'CLOUD_TRAIL_ENCRYPTION_ENABLED', periodic: true },
    },
    securityHubControls: ['CloudTrail.2'],
  },
  iamActions: ['cloudtrail:GetTrail', 'cloudtrail:UpdateTrail'],
  state: z.object({
    homeRegion: z.string(),
    ownerAccount: z.string(),
    /** The trail's KMS key (as CloudTrail reports it), or null: SSE-S3 only. */
    kmsKeyId: z.string().nullable(),
  }),

  async read(io) {
    const found = await readTrail(io);
    if (!found) return undefined;
    const { trail, homeRegion, ownerAccount } = found;
    return { homeRegion, ownerAccount, kmsKeyId: trail.KmsKeyId ? trail.KmsKeyId : null };
  },
  describe: (s) =>
    `${s.kmsKeyId ? `log files encrypted with ${s.kmsKeyId}` : 'log files not encrypted with a KMS key'} (home region ${s.homeRegion})`,
  cannotFix(s, io) {
    const where = elsewhere(s, io);
    if (where) return where;
    if (!keyOf(io)) {
      return 'the policy gives no KMS key ARN for CloudTrail (playbooks.cloudtrail-encryption.options.kmsKeyArn): choose a key whose policy lets CloudTrail use it';
    }
    return undefined;
  },

  steps: [
    {
      id: 'set-kms-key',
      title: "UpdateTrail KmsKeyId=<the policy's key>",
      onFailure: 'compensate',
      plan: (s, io) =>
        s.kmsKeyId
          ? undefined
          : `UpdateTrail KmsKeyId=${keyOf(io) ?? '(policy option kmsKeyArn)'} on ${io.resource.resourceId}`,
      async apply(io) {
        const key = keyOf(io);
        // cannotFix stops a run without a key before any step; this is only a guard.
        if (!key) throw new Error('cloudtrail-encryption: no kmsKeyArn option');
        await io
          .client(CloudTrailClient)
          .send(new UpdateTrailCommand({ Name: io.resource.resourceId, KmsKeyId: key }), {
            abortSignal: io.abortSignal,
          });
        return { changed: true, detail: `KmsKeyId=${key}` };
      },
      async undo({ client, resource, abortSignal }, prior, current) {
        if (prior.kmsKeyId === current.kmsKeyId) return { changed: false, detail: 'already as recorded' };
        // An empty KmsKeyId removes SSE-KMS (the CloudTrail user guide's way; see the file's header).
        await client(CloudTrailClient).send(
          new UpdateTrailCommand({ Name: resource.resourceId, KmsKeyId: prior.kmsKeyId ?? '' }),
          { abortSignal },
        );
        return {
          changed: true,
          detail: prior.kmsKeyId ? `KmsKeyId=${prior.kmsKeyId} (as it was)` : 'KmsKeyId="" (there was none)',
        };
      },
    },
  ],
});
