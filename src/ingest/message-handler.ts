/**
 * What the bridge does with one message body: parse, normalise, route, check the resources, dispatch. Returns a
 * disposition (reasons bounded and escaped); throws only when Temporal is unavailable (the bridge then keeps the
 * message and backs off).
 */
import type { Finding } from '../domain/finding';
import type { RemediationPolicy } from '../domain/policy';
import type { FindingDispatcher } from './dispatcher';
import { parseMessageBody } from './envelope';
import { normaliseEvent } from './normalise';
import { boundedReason } from './reason';
import { IngestRejection } from './rejection';
import { resourceProblem } from './resource-guard';
import { routeFinding } from './router';
import type { RouteDecision } from './router';
import { isRequestRejected } from './temporal-errors';

/** What to do with the SQS message. */
export type Disposition =
  | { kind: 'delivered'; workflowId: string; eventId: string; resourceId: string; playbook: string }
  | { kind: 'acknowledged'; reason: string; eventId?: string; resourceId?: string }
  | { kind: 'dead-letter'; reason: string };

/** Error meaning "Temporal did not accept the finding; try again later". */
export class TemporalUnavailableError extends Error {
  override readonly name = 'TemporalUnavailableError';
}

/** Builds the per-message handler. */
export function createMessageHandler(
  policy: RemediationPolicy,
  dispatcher: FindingDispatcher,
  enrich: (finding: Finding) => Promise<Finding> = async (f) => f,
) {
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
      });
    }
  }

  async function handle(body: string): Promise<Disposition> {
    let normalised;
    try {
      normalised = normaliseEvent(parseMessageBody(body));
    } catch (err) {
      if (err instanceof IngestRejection) return { kind: 'dead-letter', reason: err.message };
      throw err;
    }
    if (normalised.kind === 'unsupported') return { kind: 'acknowledged', reason: normalised.reason };
    // Every finding is routed and its resource checked before any is delivered: a message with one finding that
    // cannot name an execution is dead-lettered whole, and nothing of it starts.
    const routed: { finding: Finding; decision: RouteDecision }[] = [];
    for (const each of normalised.findings) {
      const finding = await enrich(each);
      const decision = routeFinding(finding, policy);
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
    for (const { finding, decision } of routed) dispositions.push(await handleFinding(finding, decision));
    return combine(dispositions);
  }

  return async function handleMessage(body: string): Promise<Disposition> {
    const disposition = await handle(body);
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
