/**
 * What a finding's preparation is asked, from the playbook's settings alone: the workflow asks it this way, and the
 * activity that opens an execution (its settings and its first finding's preparation in one: docs/architecture.md,
 * The path of one event) asks it the same way, so both take the same decisions.
 */
import type { ControlCheckRequest } from '../activities/controls';
import type { PrepareRequest } from '../activities/composite';
import type { PlaybookRequest } from '../activities/remediation-activities';
import { allowListExemption, DEFAULT_EXEMPTION_TAG } from './controls';
import type { RoutedFinding } from './finding';
import { shapeOf } from './playbooks';
import type { PlaybookSettings } from './policy';

/** What every playbook activity is asked with: the finding, its playbook, and the playbook's policy options. */
export function playbookRequest(routed: RoutedFinding, settings: PlaybookSettings): PlaybookRequest {
  return {
    finding: routed.finding,
    playbook: routed.playbook,
    ...(settings.options ? { options: settings.options } : {}),
  };
}

/** Whether the settings let the remediator change anything (not a dry run, not notify-only). */
export function changesAnything(settings: PlaybookSettings): boolean {
  return settings.mode !== 'dryRun' && settings.mode !== 'notify';
}

/** The admission question for the control plane; `attempt` counts the asks (a held remediation asks again). */
export function admissionRequestFor(
  settings: PlaybookSettings,
  routed: RoutedFinding,
  workflowId: string,
  attempt: number,
): ControlCheckRequest {
  const containment = shapeOf(routed.playbook, settings.shape)?.kind === 'containment';
  // By default tags are ignored for containment (a compromised principal can write them); the policy decides.
  const tagExempts = settings.allowTagExemption ?? !containment;
  return {
    workflowId,
    finding: routed.finding,
    playbook: routed.playbook,
    attempt,
    ...(tagExempts ? { exemptionTagKey: settings.exemptions?.tagKey ?? DEFAULT_EXEMPTION_TAG } : {}),
    ...(settings.breaker ? { breaker: settings.breaker } : {}),
    ...(settings.flapping ? { flapping: settings.flapping } : {}),
  };
}

/**
 * The first preparation of a finding: admission is asked only when the remediator would change something and the
 * allow-list does not exempt the resource; the prior state is recorded only when nothing is left to decide (`auto`).
 */
export function preparationRequest(
  settings: PlaybookSettings,
  routed: RoutedFinding,
  workflowId: string,
): PrepareRequest {
  const allowListed = allowListExemption(settings.exemptions, routed.finding.resource);
  return {
    request: playbookRequest(routed, settings),
    ...(changesAnything(settings) && !allowListed
      ? { admission: admissionRequestFor(settings, routed, workflowId, 1) }
      : {}),
    capture: settings.mode === 'auto' && !allowListed,
  };
}
