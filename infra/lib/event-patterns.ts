/**
 * EventBridge patterns that let through exactly the findings a playbook handles, derived from the remediation policy
 * so the infrastructure and the router never disagree. Nothing else reaches the queue.
 */
import type { RemediationPolicy } from '../../src/domain/policy';

/** An EventBridge event pattern (the JSON EventBridge matches). */
export type EventPattern = Record<string, unknown>;

const controlsOf = (policy: RemediationPolicy, source: string): string[] => [
  ...new Set(policy.routes.filter((r) => r.source === source).flatMap((r) => r.controls)),
];

/**
 * Config compliance changes of the routed rules, NON_COMPLIANT (to remediate) and COMPLIANT (so running executions
 * learn of it). Rule names deployed by Security Hub or conformance packs carry a prefix and suffix
 * (`securityhub-restricted-ssh-3f1c9a`), so each name matches as a wildcard.
 */
export function configPattern(policy: RemediationPolicy): EventPattern {
  return {
    source: ['aws.config'],
    'detail-type': ['Config Rules Compliance Change'],
    detail: {
      messageType: ['ComplianceChangeNotification'],
      configRuleName: controlsOf(policy, 'aws.config').flatMap((c) => [
        c,
        { wildcard: `*-${c}-*` },
        { wildcard: `*-${c}` },
      ]),
      newEvaluationResult: { complianceType: ['NON_COMPLIANT', 'COMPLIANT'] },
    },
  };
}

/** A GuardDuty type of a route as EventBridge matches it: exact, a prefix (`Backdoor:EC2/*`) or a wildcard. */
function typeMatcher(control: string): unknown {
  const star = control.indexOf('*');
  if (star < 0) return control;
  if (star === control.length - 1) return { prefix: control.slice(0, -1) };
  return { wildcard: control };
}

/** GuardDuty's "high" severity: routes at or above it (or with none) take the stacks' threshold parameter instead. */
const HIGH_SEVERITY = 7;

/**
 * GuardDuty findings the routes take: one branch per threshold, a catch-all route (`*`, the triage playbook's)
 * matching every type. `minSeverity` (the stacks' parameter, default 7) is the threshold of every route that sets
 * none or sets a high one; a route that asks for lower (a bucket made public, at any severity) keeps its own.
 */
export function guardDutyPattern(policy: RemediationPolicy, minSeverity: number): EventPattern {
  const byThreshold = new Map<number, string[]>();
  for (const route of policy.routes.filter((r) => r.source === 'aws.guardduty')) {
    const own = route.minSeverity;
    const threshold = own !== undefined && own < HIGH_SEVERITY ? own : minSeverity;
    byThreshold.set(threshold, [...(byThreshold.get(threshold) ?? []), ...route.controls]);
  }
  // The parameter's branch first, then the lower ones in route order: the threshold may be a token, which does not sort.
  const ordered = [...byThreshold.entries()].sort(
    ([a], [b]) => Number(b === minSeverity) - Number(a === minSeverity),
  );
  const branches = ordered.map(([threshold, controls]) => ({
    severity: [{ numeric: ['>=', threshold] }],
    ...(controls.includes('*') ? {} : { type: [...new Set(controls)].map(typeMatcher) }),
  }));
  return {
    source: ['aws.guardduty'],
    'detail-type': ['GuardDuty Finding'],
    detail: branches.length === 1 ? branches[0] : { $or: branches },
  };
}

/** State changes (ALARM, and OK for running executions) of the alarms the remediator manages. */
export function cloudWatchPattern(alarmNames: readonly string[]): EventPattern {
  return {
    source: ['aws.cloudwatch'],
    'detail-type': ['CloudWatch Alarm State Change'],
    detail: { alarmName: [...alarmNames], state: { value: ['ALARM', 'OK'] } },
  };
}

/** Security Hub findings of the routed controls that failed and are active (not archived or suppressed). */
export function securityHubPattern(policy: RemediationPolicy): EventPattern {
  return {
    source: ['aws.securityhub'],
    'detail-type': ['Security Hub Findings - Imported'],
    detail: {
      findings: {
        Compliance: { Status: ['FAILED'], SecurityControlId: controlsOf(policy, 'aws.securityhub') },
        RecordState: ['ACTIVE'],
        Workflow: { Status: ['NEW', 'NOTIFIED'] },
      },
    },
  };
}
