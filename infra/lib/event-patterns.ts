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

/** GuardDuty findings of the routed types at or above the severity threshold (numeric matching). */
export function guardDutyPattern(policy: RemediationPolicy, minSeverity: number): EventPattern {
  return {
    source: ['aws.guardduty'],
    'detail-type': ['GuardDuty Finding'],
    detail: {
      severity: [{ numeric: ['>=', minSeverity] }],
      type: controlsOf(policy, 'aws.guardduty').map((c) =>
        c.endsWith('*') ? { prefix: c.slice(0, -1) } : c,
      ),
    },
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
