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
import { CloudTrailClient, GetTrailCommand, UpdateTrailCommand } from '@aws-sdk/client-cloudtrail';
import { z } from 'zod';
import { isNotFound } from '../activities/aws-errors';
import { definePlaybook } from '../kit/playbook-kit';
import type { KitIo } from '../kit/playbook-kit';

/** The home region and owner account of a trail's ARN (`arn:aws:cloudtrail:<region>:<account>:trail/<name>`). */
export function arnParts(arn: string | undefined): { region?: string; account?: string } {
  const parts = arn?.split(':') ?? [];
  return parts.length >= 6 ? { region: parts[3], account: parts[4] } : {};
}

/** Why this trail cannot be changed from the finding's account and region, or `undefined`. */
export function elsewhere(
  s: { homeRegion: string; ownerAccount: string },
  { resource }: KitIo,
): string | undefined {
  if (s.ownerAccount !== resource.account) {
    return `the trail belongs to account ${s.ownerAccount} (an organization trail): change it there`;
  }
  if (s.homeRegion !== resource.region) {
    return `the trail's home region is ${s.homeRegion}: a trail can only be changed from its home region`;
  }
  return undefined;
}

export const cloudtrailLogFileValidation = definePlaybook({
  id: 'cloudtrail-log-file-validation',
  title: 'Turn on log file validation for a CloudTrail trail',
  kind: 'configuration',
  defaultMode: 'auto',
  roleFamily: 'configuration',
  resource: {
    type: 'AWS::CloudTrail::Trail',
    // A trail name: 3–128 letters, digits, `.`, `_` or `-`, starting and ending with a letter or digit.
    idPattern: /^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$/,
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

  async read({ client, resource, abortSignal }) {
    try {
      const trail = (
        await client(CloudTrailClient).send(new GetTrailCommand({ Name: resource.resourceId }), {
          abortSignal,
        })
      ).Trail;
      if (!trail) return undefined;
      const arn = arnParts(trail.TrailARN);
      return {
        homeRegion: trail.HomeRegion ?? arn.region ?? resource.region,
        ownerAccount: arn.account ?? resource.account,
        logFileValidation: trail.LogFileValidationEnabled === true,
      };
    } catch (err) {
      // TrailNotFoundException: no such trail (seen from this region).
      if (isNotFound(err)) return undefined;
      throw err;
    }
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
