/**
 * Playbook `cloudtrail-log-file-validation`: log file integrity validation on for a CloudTrail trail (Config
 * `cloud-trail-log-file-validation-enabled`, source CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED, periodic, on
 * `AWS::CloudTrail::Trail`; Security Hub CloudTrail.4, `AwsCloudTrailTrail`, ARN `…:trail/<name>` → the trail name).
 * CloudTrail then writes a signed digest file every hour; the logs themselves are unchanged, so it runs without
 * approval. Rollback turns validation off only when it was off before.
 *
 * The trail is read with GetTrail by name in the finding's region. A trail can only be changed from its home region:
 * a multi-Region trail seen from another region (a shadow trail), or another account's organization trail, is
 * escalated with its home region or owner named, never changed from here. GetTrail in moto returns no `HomeRegion`;
 * then the region of the trail's ARN (where it was created) is its home region.
 */
import { CloudTrailClient, UpdateTrailCommand } from '@aws-sdk/client-cloudtrail';
import { z } from 'zod';
import { definePlaybook } from '../kit/playbook-kit';
import { elsewhere, readTrail, TRAIL_NAME } from './shared/cloudtrail-trails';

export const cloudtrailLogFileValidation = definePlaybook({
  id: 'cloudtrail-log-file-validation',
  title: 'Turn on log file validation for a CloudTrail trail',
  kind: 'configuration',
  defaultMode: 'auto',
  roleFamily: 'configuration',
  resource: {
    type: 'AWS::CloudTrail::Trail',
    idPattern: TRAIL_NAME,
    securityHubType: 'AwsCloudTrailTrail',
  },
  defaultSeverity: 3,
  triggers: {
    configRules: {
      'cloud-trail-log-file-validation-enabled': {
        identifier: 'CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED',
        periodic: true,
      },
    },
    securityHubControls: ['CloudTrail.4'],
  },
  iamActions: ['cloudtrail:GetTrail', 'cloudtrail:UpdateTrail'],
  state: z.object({
    homeRegion: z.string(),
    ownerAccount: z.string(),
    logFileValidation: z.boolean(),
  }),

  async read(io) {
    const found = await readTrail(io);
    if (!found) return undefined;
    const { trail, homeRegion, ownerAccount } = found;
    return { homeRegion, ownerAccount, logFileValidation: trail.LogFileValidationEnabled === true };
  },
  describe: (s) =>
    `log file validation is ${s.logFileValidation ? 'on' : 'off'} (home region ${s.homeRegion})`,
  cannotFix: (s, io) => elsewhere(s, io),

  steps: [
    {
      id: 'enable-log-file-validation',
      title: 'UpdateTrail EnableLogFileValidation=true',
      onFailure: 'compensate',
      plan: (s, { resource }) =>
        s.logFileValidation
          ? undefined
          : `UpdateTrail EnableLogFileValidation=true on ${resource.resourceId}`,
      async apply({ client, resource, abortSignal }) {
        await client(CloudTrailClient).send(
          new UpdateTrailCommand({ Name: resource.resourceId, EnableLogFileValidation: true }),
          { abortSignal },
        );
        return { changed: true, detail: 'EnableLogFileValidation=true' };
      },
      async undo({ client, resource, abortSignal }, prior, current) {
        // Turned off only when it was off before the fix.
        if (prior.logFileValidation || !current.logFileValidation) {
          return { changed: false, detail: 'already as recorded' };
        }
        await client(CloudTrailClient).send(
          new UpdateTrailCommand({ Name: resource.resourceId, EnableLogFileValidation: false }),
          { abortSignal },
        );
        return { changed: true, detail: 'EnableLogFileValidation=false (it was off before)' };
      },
    },
  ],
});
