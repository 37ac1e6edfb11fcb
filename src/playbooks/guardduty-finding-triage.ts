/**
 * Playbook `guardduty-finding-triage`: every GuardDuty finding at or above severity 7 that no other playbook acts on
 * reaches a person — a ticket and an on-call page with the finding's summary — and is never dropped (docs/playbooks.md,
 * GuardDuty findings). Its route is a catch-all (`*`), so it must stay the last GuardDuty route: the policy's own
 * routes and the other playbooks' come first.
 *
 * Its subject is the finding itself (`GuardDuty::Finding`, id = the GuardDuty finding id): the bridge keys the
 * execution by the finding, so GuardDuty's re-sends of one finding make one ticket, and two findings about one
 * instance make two. It changes nothing and calls nothing: the workflow has read the finding back from GuardDuty
 * (GetFindings, in the detection role) before the analysis, so its state is the confirmed finding.
 */
import { z } from 'zod';
import { GUARDDUTY_FINDING_TYPE } from '../ingest/normalise-guardduty';
import { definePlaybook } from '../kit/playbook-kit';

export const guardDutyFindingTriage = definePlaybook({
  id: 'guardduty-finding-triage',
  title: 'Ticket and page on-call for a GuardDuty finding no playbook fixes',
  kind: 'containment',
  defaultMode: 'auto',
  roleFamily: 'detection',
  resource: {
    type: GUARDDUTY_FINDING_TYPE,
    // GuardDuty finding ids: lower-case hex (32 characters today).
    idPattern: /^[0-9a-z]{8,64}$/,
  },
  defaultSeverity: 7,
  triggers: { guardDutyTypes: ['*'] },
  iamActions: [],
  state: z.object({
    type: z.string(),
    severity: z.number(),
    title: z.string(),
    /** What the finding is about, as GuardDuty names it (`Instance`, `S3Bucket`, `EKSCluster`, …). */
    subject: z.string(),
    resourceRole: z.string(),
  }),

  read({ finding }) {
    const d = finding.details;
    return Promise.resolve({
      type: finding.control,
      severity: finding.severity,
      title: finding.title,
      subject: d.subjectType
        ? `${d.subjectType} ${d.subjectId ?? ''}`.trim()
        : (d.guardDutyResourceType ?? 'unknown'),
      resourceRole: d.resourceRole ?? 'UNKNOWN',
    });
  },
  describe: (s) => `GuardDuty ${s.type} (severity ${s.severity}) about ${s.subject}: ${s.title}`,
  cannotFix: (s) =>
    `GuardDuty ${s.type} (severity ${s.severity}) about ${s.subject}: ${s.title}. No playbook acts on this ` +
    'finding type: triage it in GuardDuty, then archive it there',
  steps: [],
});
