/**
 * The default routes of the kit playbooks, from their triggers (docs/architecture.md, Playbook kit): each Config
 * rule, Security Hub control, GuardDuty type and alarm metric a playbook declares routes to it unless the policy
 * routes it elsewhere (a policy's own routes come first).
 */
import type { Route } from '../domain/policy';
import type { AnyKitPlaybook } from '../kit/playbook-kit';

/** GuardDuty findings below this severity are acknowledged, not acted on (the seed's threshold). */
const GUARDDUTY_MIN_SEVERITY = 7;

/** The routes one kit playbook's triggers make. */
export function kitRoutes(playbook: AnyKitPlaybook): Route[] {
  const { configRules, securityHubControls, guardDutyTypes, alarmMetrics } = playbook.triggers;
  const routes: Route[] = [];
  const rules = Object.keys(configRules ?? {});
  if (rules.length > 0) routes.push({ source: 'aws.config', controls: rules, playbook: playbook.id });
  if (securityHubControls?.length) {
    routes.push({ source: 'aws.securityhub', controls: securityHubControls, playbook: playbook.id });
  }
  if (guardDutyTypes?.length) {
    routes.push({
      source: 'aws.guardduty',
      controls: guardDutyTypes,
      playbook: playbook.id,
      minSeverity: playbook.triggers.guardDutyMinSeverity ?? GUARDDUTY_MIN_SEVERITY,
      // Only findings whose subject is this playbook's resource (an instance finding without instance details goes
      // on to the next route); a catch-all takes every subject.
      ...(guardDutyTypes.includes('*') ? {} : { resourceType: playbook.resource.type }),
    });
  }
  if (alarmMetrics?.length) {
    routes.push({
      source: 'aws.cloudwatch',
      controls: alarmMetrics,
      playbook: playbook.id,
      resourceType: playbook.resource.type,
    });
  }
  return routes;
}

/**
 * The routes of all `playbooks`, in their order, except that a catch-all (a route whose control is `*`, such as
 * `guardduty-finding-triage`'s) comes after every other: routes are tried in order, and it must only take what no
 * other route does.
 */
export function declaredRoutes(playbooks: readonly AnyKitPlaybook[]): Route[] {
  const routes = playbooks.flatMap(kitRoutes);
  const catchAll = (r: Route) => r.controls.includes('*');
  return [...routes.filter((r) => !catchAll(r)), ...routes.filter(catchAll)];
}
