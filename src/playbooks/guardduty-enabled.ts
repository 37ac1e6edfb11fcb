/**
 * Playbook `guardduty-enabled`: a GuardDuty detector enabled in the account's region (Config
 * `guardduty-enabled-centralized`, source GUARDDUTY_ENABLED_CENTRALIZED, periodic, on `AWS::::Account`; Security Hub
 * GuardDuty.1, `AwsAccount`). A suspended detector is enabled again (UpdateDetector Enable=true; undo Enable=false,
 * only if it was disabled before); a region without one gets one (CreateDetector Enable=true; undo DeleteDetector of
 * the detector it made). GuardDuty only reads logs AWS already keeps, so nothing of a workload changes: no approval.
 *
 * A region holds at most one detector; should a listing give more (moto allows it), the first is the one read. The
 * worker's other GuardDuty call (GetFindings, confirming a finding) is the detection role's; this playbook has its
 * own client from `io.client`, in the configuration role.
 *
 * The first detector of an account makes GuardDuty create its service-linked role
 * (AWSServiceRoleForAmazonGuardDuty), which needs `iam:CreateServiceLinkedRole` of the caller. IAM actions stay out of
 * the configuration role (test/infra/family-permissions), so in an account where GuardDuty was never on CreateDetector
 * fails with AccessDenied and the finding is escalated; where the role exists (GuardDuty was on before, or the
 * organization's baseline made it) the detector is created. moto checks no permission and makes no role.
 */
import {
  CreateDetectorCommand,
  DeleteDetectorCommand,
  GetDetectorCommand,
  GuardDutyClient,
  ListDetectorsCommand,
  UpdateDetectorCommand,
} from '@aws-sdk/client-guardduty';
import { z } from 'zod';
import { definePlaybook } from '../kit/playbook-kit';
import { ACCOUNT_RESOURCE } from './shared/account-resource';

export const guardDutyEnabled = definePlaybook({
  id: 'guardduty-enabled',
  title: 'Turn on GuardDuty in the region',
  kind: 'configuration',
  defaultMode: 'auto',
  roleFamily: 'configuration',
  resource: ACCOUNT_RESOURCE,
  defaultSeverity: 7,
  triggers: {
    configRules: {
      'guardduty-enabled-centralized': { identifier: 'GUARDDUTY_ENABLED_CENTRALIZED', periodic: true },
    },
    securityHubControls: ['GuardDuty.1'],
  },
  iamActions: [
    'guardduty:ListDetectors',
    'guardduty:GetDetector',
    'guardduty:CreateDetector',
    'guardduty:UpdateDetector',
    'guardduty:DeleteDetector',
  ],
  state: z.object({
    /** The region's detector, or null. */
    detectorId: z.string().nullable(),
    /** Its status is ENABLED (false when there is none). */
    enabled: z.boolean(),
  }),

  async read({ client, abortSignal }) {
    const guardduty = client(GuardDutyClient);
    const detectorId = (await guardduty.send(new ListDetectorsCommand({}), { abortSignal })).DetectorIds?.[0];
    if (!detectorId) return { detectorId: null, enabled: false };
    const detector = await guardduty.send(new GetDetectorCommand({ DetectorId: detectorId }), {
      abortSignal,
    });
    return { detectorId, enabled: detector.Status === 'ENABLED' };
  },
  describe: (s) =>
    s.detectorId
      ? `GuardDuty detector ${s.detectorId} ${s.enabled ? 'enabled' : 'suspended'}`
      : 'no GuardDuty detector',

  steps: [
    {
      id: 'create-detector',
      title: 'CreateDetector Enable=true when the region has none',
      onFailure: 'compensate',
      plan: (s, { resource }) =>
        s.detectorId ? undefined : `CreateDetector Enable=true in ${resource.region}`,
      async apply({ client, abortSignal }) {
        const { DetectorId } = await client(GuardDutyClient).send(
          new CreateDetectorCommand({ Enable: true }),
          {
            abortSignal,
          },
        );
        return { changed: true, detail: `CreateDetector ${DetectorId ?? ''}`.trim() };
      },
      async undo({ client, abortSignal }, prior, current) {
        // Deleted only when the region had none before: the detector there now is the one the fix made.
        if (prior.detectorId || !current.detectorId) return { changed: false, detail: 'already as recorded' };
        await client(GuardDutyClient).send(new DeleteDetectorCommand({ DetectorId: current.detectorId }), {
          abortSignal,
        });
        return { changed: true, detail: `DeleteDetector ${current.detectorId} (there was none)` };
      },
    },
    {
      id: 'enable-detector',
      title: 'UpdateDetector Enable=true on a suspended detector',
      onFailure: 'compensate',
      plan: (s) => (s.detectorId && !s.enabled ? `UpdateDetector ${s.detectorId} Enable=true` : undefined),
      async apply({ client, abortSignal }, current) {
        if (!current.detectorId) throw new Error('guardduty-enabled: no detector');
        await client(GuardDutyClient).send(
          new UpdateDetectorCommand({ DetectorId: current.detectorId, Enable: true }),
          { abortSignal },
        );
        return { changed: true, detail: `UpdateDetector ${current.detectorId} Enable=true` };
      },
      async undo({ client, abortSignal }, prior, current) {
        // Suspended again only when it was suspended before, and only the same detector.
        if (
          !prior.detectorId ||
          prior.enabled ||
          current.detectorId !== prior.detectorId ||
          !current.enabled
        ) {
          return { changed: false, detail: 'already as recorded' };
        }
        await client(GuardDutyClient).send(
          new UpdateDetectorCommand({ DetectorId: prior.detectorId, Enable: false }),
          { abortSignal },
        );
        return {
          changed: true,
          detail: `UpdateDetector ${prior.detectorId} Enable=false (it was suspended)`,
        };
      },
    },
  ],
});
