/**
 * The metrics an outcome makes (docs/observability.md): one remediation by playbook and outcome, the time from the
 * finding's observation to the verified fix, and how long it waited for a decision. Times come from the outcome's
 * own record (the verification's and the approval's timestamps), the same on every replay.
 */
import type { Outcome } from '../../domain/remediation';
import { accountLabel, sourceLabel } from '../../metrics/labels';
import { metric } from '../metrics';
import type { MetricValue } from '../metrics';

/** Seconds from `from` to `to` (ISO times), or `undefined` when either is missing or unreadable or `to` is earlier. */
function secondsBetween(from: string | undefined, to: string | undefined): number | undefined {
  if (from === undefined || to === undefined) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? ms / 1000 : undefined;
}

/**
 * The metric values of one outcome. `trusted: false` for an outcome whose finding the worker refused (an account it
 * does not serve, a finding its detector does not confirm): its account is the request's claim, labelled `unknown`.
 */
export function outcomeMetrics(
  outcome: Outcome,
  options: { trusted: boolean } = { trusted: true },
): MetricValue[] {
  const { finding, playbook } = outcome;
  const source = sourceLabel(finding.source);
  const values: MetricValue[] = [
    metric('remediations', {
      playbook,
      outcome: outcome.status.toLowerCase(),
      source,
      account: options.trusted ? accountLabel(finding.resource.account) : accountLabel(undefined),
    }),
  ];
  if (outcome.status === 'REMEDIATED' && outcome.verification?.passed) {
    const mttr = secondsBetween(finding.observedAt, outcome.verification.at);
    if (mttr !== undefined) values.push(metric('timeToVerifiedFix', { playbook, source }, mttr));
  }
  if (outcome.approval) {
    const waited = secondsBetween(outcome.approval.requestedAt, outcome.approval.decidedAt);
    if (waited !== undefined) {
      values.push(metric('approvalWait', { playbook, decision: outcome.approval.decision }, waited));
    }
  }
  return values;
}
