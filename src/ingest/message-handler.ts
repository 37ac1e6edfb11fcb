/**
 * What the bridge does with one message body: parse, normalise, check what it claims against the trust settings,
 * enrich, route, check the resources, dispatch. Returns a disposition (reasons bounded and escaped); throws only when
 * Temporal is unavailable (the bridge then keeps the message and backs off).
 */
import type { Finding } from '../domain/finding';
import type { RemediationPolicy } from '../domain/policy';
import type { FindingDispatcher } from './dispatcher';
import { parseMessageBody } from './envelope';
import type { EventBridgeEnvelope } from './envelope';
import { normaliseEvent } from './normalise';
import { boundedReason } from './reason';
import { IngestRejection } from './rejection';
import { resourceProblem } from './resource-guard';
import { routeFinding } from './router';
import { subjectFor } from './finding-subject';
import type { RouteDecision } from './router';
import type { TrustRefusal } from './security-alert';
import { isRequestRejected, isThrottled } from './temporal-errors';
import { trustProblem } from './trust-gate';
import type { MetricsRecorder } from '../metrics/recorder';
import { accountLabel, sourceLabel } from '../metrics/labels';
import type { GateTrust } from './trust-gate';

/** What to do with the SQS message. */
export type Disposition =
  | { kind: 'delivered'; workflowId: string; eventId: string; resourceId: string; playbook: string }
  | { kind: 'acknowledged'; reason: string; eventId?: string; resourceId?: string }
  | { kind: 'dead-letter'; reason: string };

/** Error meaning "Temporal did not accept the finding; try again later". */
export class TemporalUnavailableError extends Error {
  override readonly name = 'TemporalUnavailableError';
  /** Temporal answered RESOURCE_EXHAUSTED (it is up, but over its rate limit) rather than not answering. */
  readonly throttled: boolean;

  constructor(message: string, options: { cause?: unknown; throttled?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.throttled = options.throttled ?? false;
  }
}

/** What the handler works with. */
export interface MessageHandlerOptions {
  readonly policy: RemediationPolicy;
  readonly dispatcher: FindingDispatcher;
  /**
   * The ingest's trust settings with `self` resolved (`resolveTrust(trustSettings(policy), selfAccount)`): what a
   * message's claims are checked against (docs/architecture.md, Trust model).
   */
  readonly trust: GateTrust;
  /** Adds what the event lacks (the Config rule's managed identifier); called only for findings the gate passed. */
  readonly enrich?: (finding: Finding) => Promise<Finding>;
  /** Told of every refusal that calls for a security alert (`SecurityAlerter.refused`); must not throw. */
  readonly alert?: (refusal: TrustRefusal) => void;
  /** The ingest's clock (epoch milliseconds), against which event age is measured. */
  readonly now?: () => number;
  /**
   * Only for an emulator whose EventBridge delivers events without `account` (moto 5.2.1: the default input template
   * of its SQS targets leaves the field out): the account such an envelope is taken to come from. The local stack and
   * the benchmarks set it to moto's account; `remediator ingest` never does, so there an envelope without an account is
   * dead-lettered, as AWS always names one.
   */
  readonly emulatorEnvelopeAccount?: string;
  /** Where each finding's disposition is counted (docs/observability.md); none when absent. */
  readonly metrics?: MetricsRecorder;
}

/**
 * The findings a message carried and, by position, the disposition of each one delivered on its own; findings the
 * message settled as a whole (refused, too old) share the message's.
 */
interface Tally {
  findings: readonly Finding[];
  readonly handled: Disposition['kind'][];
  /** Whether the findings passed the trust gate: only then is their account one the ingest serves (a label). */
  trusted: boolean;
}

const DISPOSITION_LABELS: Readonly<Record<Disposition['kind'], string>> = {
  delivered: 'delivered',
  acknowledged: 'acknowledged',
  'dead-letter': 'dead_lettered',
};

/** Builds the per-message handler. */
export function createMessageHandler(options: MessageHandlerOptions) {
  const { policy, dispatcher, trust } = options;
  const enrich = options.enrich ?? (async (f: Finding) => f);
  const now = options.now ?? (() => Date.now());

  /**
   * The trust gate over every finding of the message, before any is enriched (an AWS call in the finding's account),
   * routed or delivered: one refused claim dead-letters the whole message. An event too old to act on is
   * acknowledged, but only once no finding of it is refused, so a forged claim is never hidden behind an old time.
   */
  function gate(envelope: EventBridgeEnvelope, findings: readonly Finding[]): Disposition | undefined {
    const at = now();
    let stale: { reason: string; finding: Finding } | undefined;
    for (const finding of findings) {
      const verdict = trustProblem(envelope, finding, trust, at);
      if (!verdict) continue;
      if (verdict.action === 'acknowledge') {
        stale ??= { reason: verdict.reason, finding };
        continue;
      }
      if (verdict.alert) {
        // The alert is a side note: whatever happens to it, the message is dead-lettered.
        try {
          options.alert?.({
            eventId: finding.eventId,
            source: finding.source,
            ...(envelope.account !== undefined ? { envelopeAccount: envelope.account } : {}),
            account: finding.resource.account,
            region: finding.resource.region,
            resourceType: finding.resource.resourceType,
            resourceId: finding.resource.resourceId,
            reason: verdict.reason,
          });
        } catch {
          // `SecurityAlerter.refused` does not throw; another alert hook must not change the disposition either.
        }
      }
      return {
        kind: 'dead-letter',
        reason: `${finding.source} finding in event ${finding.eventId}: ${verdict.reason}`,
      };
    }
    return stale
      ? {
          kind: 'acknowledged',
          reason: stale.reason,
          eventId: stale.finding.eventId,
          resourceId: stale.finding.resource.resourceId,
        }
      : undefined;
  }

  async function handleFinding(finding: Finding, decision: RouteDecision): Promise<Disposition> {
    const ids = { eventId: finding.eventId, resourceId: finding.resource.resourceId };
    if (decision.action === 'acknowledge') return { kind: 'acknowledged', reason: decision.reason, ...ids };
    const routed = { finding, playbook: decision.playbook };
    try {
      const result =
        decision.action === 'start' ? await dispatcher.start(routed) : await dispatcher.signalOnly(routed);
      if (result.kind === 'not-running') {
        return {
          kind: 'acknowledged',
          reason: `${finding.state} for ${finding.control}: no remediation running for ${result.workflowId}`,
          ...ids,
        };
      }
      return { kind: 'delivered', workflowId: result.workflowId, playbook: decision.playbook, ...ids };
    } catch (err) {
      if (isRequestRejected(err)) {
        return { kind: 'dead-letter', reason: `Temporal rejected the finding: ${(err as Error).message}` };
      }
      throw new TemporalUnavailableError(`Temporal did not accept the finding: ${(err as Error).message}`, {
        cause: err,
        throttled: isThrottled(err),
      });
    }
  }

  async function handle(body: string, tally: Tally): Promise<Disposition> {
    let envelope;
    let normalised;
    try {
      envelope = parseMessageBody(body);
      normalised = normaliseEvent(envelope);
    } catch (err) {
      if (err instanceof IngestRejection) return { kind: 'dead-letter', reason: err.message };
      throw err;
    }
    if (normalised.kind === 'unsupported') return { kind: 'acknowledged', reason: normalised.reason };
    tally.findings = normalised.findings;
    const claimed =
      envelope.account === undefined && options.emulatorEnvelopeAccount !== undefined
        ? { ...envelope, account: options.emulatorEnvelopeAccount }
        : envelope;
    const refused = gate(claimed, normalised.findings);
    if (refused) return refused;
    tally.trusted = true;
    // Every finding is routed and its resource checked before any is delivered: a message with one finding that
    // cannot name an execution is dead-lettered whole, and nothing of it starts.
    const routed: { finding: Finding; decision: RouteDecision }[] = [];
    for (const each of normalised.findings) {
      const enriched = await enrich(each);
      const decision = routeFinding(enriched, policy);
      const finding = decision.action === 'acknowledge' ? enriched : subjectFor(enriched, decision.playbook);
      const problem =
        decision.action === 'acknowledge' ? undefined : resourceProblem(finding.resource, decision.playbook);
      if (problem) {
        return {
          kind: 'dead-letter',
          reason: `${finding.source} finding in event ${finding.eventId}: ${problem}`,
        };
      }
      routed.push({ finding, decision });
    }
    // Findings of one event are delivered in order; if Temporal fails half-way the message stays and the ones
    // already delivered arrive again as repeats, which their executions absorb.
    const dispositions: Disposition[] = [];
    // `routed` is in the order of the message's findings.
    for (const { finding, decision } of routed) {
      const disposition = await handleFinding(finding, decision);
      tally.handled.push(disposition.kind);
      dispositions.push(disposition);
    }
    return combine(dispositions);
  }

  /** Counts each finding of the message by its disposition (a message that carried none counts once). */
  function count(tally: Tally, disposition: Disposition): void {
    const metrics = options.metrics;
    if (!metrics) return;
    if (tally.findings.length === 0) {
      metrics.record('findingsReceived', {
        source: sourceLabel(undefined),
        disposition: DISPOSITION_LABELS[disposition.kind],
        account: accountLabel(undefined),
      });
      return;
    }
    tally.findings.forEach((finding, i) => {
      metrics.record('findingsReceived', {
        source: sourceLabel(finding.source),
        disposition: DISPOSITION_LABELS[tally.handled[i] ?? disposition.kind],
        account: accountLabel(tally.trusted ? finding.resource.account : undefined),
      });
    });
  }

  return async function handleMessage(body: string): Promise<Disposition> {
    const tally: Tally = { findings: [], handled: [], trusted: false };
    const disposition = await handle(body, tally);
    count(tally, disposition);
    // Reasons quote the message: bounded and escaped, they cannot flood logs or break the dead-letter attribute.
    return disposition.kind === 'delivered'
      ? disposition
      : { ...disposition, reason: boundedReason(disposition.reason) };
  };
}

/** One disposition for a message: dead-letter if any finding must be, delivered if any was, else acknowledged. */
function combine(dispositions: Disposition[]): Disposition {
  const dead = dispositions.find((d) => d.kind === 'dead-letter');
  if (dead) return dead;
  const delivered = dispositions.filter((d) => d.kind === 'delivered');
  if (delivered.length > 0) {
    const first = delivered[0] as Extract<Disposition, { kind: 'delivered' }>;
    return { ...first, workflowId: delivered.map((d) => d.workflowId).join(', ') };
  }
  return dispositions[0] ?? { kind: 'acknowledged', reason: 'event carried no findings' };
}
