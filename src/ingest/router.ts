/**
 * Decides what the bridge does with a finding, from the policy alone (pure, unit-tested).
 */
import { globMatches } from '../domain/controls';
import type { Finding } from '../domain/finding';
import { resolvePlaybookSettings, settingsFor } from '../domain/policy';
import type { RemediationPolicy, Route } from '../domain/policy';

/** What to do with a finding. */
export type RouteDecision =
  | { action: 'start'; playbook: string }
  | { action: 'signal-only'; playbook: string }
  | { action: 'acknowledge'; reason: string };

/**
 * Config rule names carry prefixes and suffixes when Security Hub or a conformance pack deploys them
 * (`securityhub-s3-bucket-public-read-prohibited-3f1c9a`); they still route to the managed rule's playbook.
 */
export function controlMatches(control: string, routeControl: string): boolean {
  if (control === routeControl) return true;
  if (routeControl.includes('*')) return globMatches(routeControl, control);
  const escaped = routeControl.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^(?:[a-z0-9]+-)?${escaped}(?:-[A-Za-z0-9]+)*$`).test(control);
}

/** The route whose detector and control match the finding, if any. */
export function findRoute(finding: Finding, policy: RemediationPolicy): Route | undefined {
  // The managed rule behind a Config rule (resolved at ingest) routes first; names match as a fallback.
  const managed = finding.details.managedControl;
  return policy.routes.find(
    (route) =>
      route.source === finding.source &&
      (route.resourceType === undefined || route.resourceType === finding.resource.resourceType) &&
      route.controls.some((c) => managed === c || controlMatches(finding.control, c)),
  );
}

/** Start (or signal) for failed findings with a playbook; signal-only for passed ones; acknowledge the rest. */
export function routeFinding(finding: Finding, policy: RemediationPolicy): RouteDecision {
  if (finding.state === 'NOT_APPLICABLE') {
    return {
      action: 'acknowledge',
      reason: `${finding.control} is not applicable to ${finding.resource.resourceId}`,
    };
  }
  const route = findRoute(finding, policy);
  if (!route) {
    return {
      action: 'acknowledge',
      reason: `no playbook for ${finding.source} control '${finding.control}'`,
    };
  }
  if (finding.state === 'PASSED') return { action: 'signal-only', playbook: route.playbook };
  const playbookSettings = settingsFor(
    {
      cooldownMs: policy.cooldownMs,
      playbooks: { [route.playbook]: resolvePlaybookSettings(policy, route.playbook) },
      ...(policy.controls ? { controls: policy.controls } : {}),
    },
    route.playbook,
    finding.control,
    finding.details.managedControl,
  );
  const threshold = Math.max(route.minSeverity ?? 0, playbookSettings?.minSeverity ?? 0);
  if (finding.severity < threshold) {
    return {
      action: 'acknowledge',
      reason: `${finding.control} severity ${finding.severity} is below the policy threshold ${threshold}`,
    };
  }
  return { action: 'start', playbook: route.playbook };
}
