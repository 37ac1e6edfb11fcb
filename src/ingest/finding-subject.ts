/**
 * Which resource an execution is keyed by (docs/architecture.md, One execution per resource): the finding's own
 * resource, except for a playbook that acts on GuardDuty findings themselves (`guardduty-finding-triage`), whose
 * executions are one per GuardDuty finding — so that two findings about one instance are two tickets, and GuardDuty's
 * re-sends of one finding stay one. What the finding was about is kept in its details for the ticket.
 */
import type { Finding } from '../domain/finding';
import { kitPlaybookOf } from '../playbooks/catalogue';
import { GUARDDUTY_FINDING_TYPE } from './normalise-guardduty';

/** `finding` as the execution of `playbook` sees it. */
export function subjectFor(finding: Finding, playbook: string): Finding {
  const kit = kitPlaybookOf(playbook);
  const findingId = finding.details.guardDutyFindingId;
  if (
    kit?.resource.type !== GUARDDUTY_FINDING_TYPE ||
    finding.resource.resourceType === GUARDDUTY_FINDING_TYPE ||
    finding.source !== 'aws.guardduty' ||
    findingId === undefined
  ) {
    return finding;
  }
  return {
    ...finding,
    resource: {
      account: finding.resource.account,
      region: finding.details.guardDutyRegion ?? finding.resource.region,
      resourceType: GUARDDUTY_FINDING_TYPE,
      resourceId: findingId,
    },
    details: {
      ...finding.details,
      subjectType: finding.resource.resourceType,
      subjectId: finding.resource.resourceId,
    },
  };
}
