/**
 * Label values the metrics share, kept to small fixed sets (docs/observability.md): a label taken from a message or an
 * error text would make a new series per value, so values outside the known ones are folded into one.
 */
import type { FindingSource } from '../domain/finding';

const SOURCES: readonly FindingSource[] = [
  'aws.config',
  'aws.guardduty',
  'aws.cloudwatch',
  'aws.securityhub',
];

/** The detector label: the finding's source, or `other` for anything else a message claims. */
export function sourceLabel(source: string | undefined): string {
  return SOURCES.includes(source as FindingSource) ? (source as string) : 'other';
}

/** An account label: a 12-digit account id, or `unknown`. */
export function accountLabel(account: string | undefined): string {
  return account !== undefined && /^\d{12}$/.test(account) ? account : 'unknown';
}

/** The escalation reasons the workflows name (their `errorType`), as metric label values. */
const ESCALATION_REASONS: Readonly<Record<string, string>> = {
  Protected: 'protected',
  ApprovalTimeout: 'approval_timeout',
  Flapping: 'flapping',
  IncompleteSteps: 'incomplete_steps',
  RollbackFailed: 'rollback_failed',
  InvalidPlan: 'invalid_plan',
  VerificationFailed: 'verification_failed',
  HealthGuardTripped: 'health_guard_tripped',
  UnknownPlaybook: 'unknown_playbook',
};

/**
 * The escalation reason label: the workflow's own reasons by name, `cannot_fix` when the analysis found it unsafe (no
 * error type), and `failure` for an AWS or activity failure (its error code goes to `remediator_aws_api_errors_total`).
 */
export function escalationReason(errorType: string | undefined): string {
  if (errorType === undefined) return 'cannot_fix';
  return ESCALATION_REASONS[errorType] ?? 'failure';
}
