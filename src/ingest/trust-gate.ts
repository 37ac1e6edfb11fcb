/**
 * The ingest's trust gate (docs/architecture.md, Trust model): a queue message is a request, never authority. Before a
 * finding is enriched (an AWS call in the finding's account), routed or sent to Temporal, the gate checks what the
 * message claims against the ingest's own policy: that the EventBridge envelope comes from the account the finding
 * is about (or from a delegated administrator forwarding its members' GuardDuty or Security Hub findings), that the
 * account and region are ones the remediator serves, and that the event is recent. The worker checks again on its
 * own; this check keeps a forged or misrouted message from starting anything at all, and tells on-call about it.
 */
import type { Finding, FindingSource } from '../domain/finding';
import { scopeProblem } from '../domain/policy';
import type { ResolvedTrust } from '../domain/policy';
import type { EventBridgeEnvelope } from './envelope';

/** What the gate reads of the trust settings. */
export type GateTrust = Pick<
  ResolvedTrust,
  'accounts' | 'regions' | 'delegatedAdminAccounts' | 'maxEventAgeMs'
>;

/**
 * Why a finding does not pass: `dead-letter` keeps the message for inspection (a claim the policy refuses),
 * `acknowledge` deletes it (valid but too old to act on). `alert` asks for a security alert to on-call.
 */
export interface TrustVerdict {
  readonly action: 'dead-letter' | 'acknowledge';
  readonly reason: string;
  readonly alert: boolean;
}

/**
 * Detectors whose delegated administrator account receives its members' findings on its own bus, so the envelope
 * names the administrator and the finding names the member (GuardDuty and Security Hub delegated administration).
 * Config, CloudWatch and bus-to-bus forwarding keep the account of the event's origin in the envelope.
 */
const FORWARDED_BY_DELEGATED_ADMIN: ReadonlySet<FindingSource> = new Set([
  'aws.guardduty',
  'aws.securityhub',
]);

const DAY_MS = 24 * 3600 * 1000;

/** A duration as a person reads it in a reason: days, hours, minutes or seconds, one decimal at most. */
function duration(ms: number): string {
  const round = (n: number) => Math.round(n * 10) / 10;
  if (ms >= DAY_MS) return `${round(ms / DAY_MS)} days`;
  if (ms >= 3600_000) return `${round(ms / 3600_000)} hours`;
  if (ms >= 60_000) return `${round(ms / 60_000)} min`;
  return `${round(ms / 1000)} s`;
}

/** Whether the envelope may name another account than the finding: a delegated administrator's forwarding. */
function forwardedByDelegatedAdmin(
  envelope: EventBridgeEnvelope,
  finding: Finding,
  trust: GateTrust,
): boolean {
  return (
    envelope.account !== undefined &&
    trust.delegatedAdminAccounts.includes(envelope.account) &&
    // The finding's source is the envelope's: the normaliser was chosen by it.
    FORWARDED_BY_DELEGATED_ADMIN.has(finding.source)
  );
}

/**
 * Why `finding` (normalised from `envelope`) must not go on, or `undefined` when it may. `now` is the ingest's clock
 * (epoch milliseconds). Claims are checked before age, so a refused claim is dead-lettered and alerted whatever its
 * time says.
 */
export function trustProblem(
  envelope: EventBridgeEnvelope,
  finding: Finding,
  trust: GateTrust,
  now: number,
): TrustVerdict | undefined {
  const { account } = finding.resource;
  // EventBridge always names the account the event comes from; an event without one was not delivered by it.
  if (envelope.account === undefined) {
    return { action: 'dead-letter', reason: 'the envelope names no account', alert: false };
  }
  if (envelope.account !== account && !forwardedByDelegatedAdmin(envelope, finding, trust)) {
    return {
      action: 'dead-letter',
      reason:
        `the envelope comes from account ${envelope.account}, the finding is about account ${account} ` +
        `(only a delegated administrator's GuardDuty or Security Hub findings may differ: policy trust.delegatedAdminAccounts)`,
      alert: true,
    };
  }
  const scope = scopeProblem(trust, finding.resource);
  if (scope) return { action: 'dead-letter', reason: scope, alert: true };
  const at = Date.parse(envelope.time);
  if (Number.isNaN(at)) {
    return {
      action: 'dead-letter',
      reason: `the envelope time ${JSON.stringify(envelope.time)} is not a time`,
      alert: false,
    };
  }
  const age = now - at;
  if (age > trust.maxEventAgeMs) {
    return {
      action: 'acknowledge',
      reason: `stale: the event is from ${envelope.time}, ${duration(age)} ago, older than the policy's trust.maxEventAgeMs (${duration(trust.maxEventAgeMs)})`,
      alert: false,
    };
  }
  return undefined;
}
