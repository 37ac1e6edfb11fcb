/**
 * Chooses the normaliser for an envelope's detail-type. A detail-type we have no normaliser for is a valid event
 * that needs no action: the bridge acknowledges it with a logged reason.
 */
import type { Finding } from '../domain/finding';
import type { EventBridgeEnvelope } from './envelope';
import { normaliseConfigCompliance } from './normalise-config';

/** Severity given to Config findings, which carry none (GuardDuty's 0–10 scale). */
export const CONFIG_DEFAULT_SEVERITY = 5;

/** Outcome of normalisation: a finding, or a reason why the event is not one we handle. */
export type Normalised = { kind: 'finding'; finding: Finding } | { kind: 'unsupported'; reason: string };

/** Normalises any supported event; throws `IngestRejection` for a supported type with an invalid detail. */
export function normaliseEvent(envelope: EventBridgeEnvelope): Normalised {
  const type = envelope['detail-type'];
  if (envelope.source === 'aws.config' && type === 'Config Rules Compliance Change') {
    return { kind: 'finding', finding: normaliseConfigCompliance(envelope, CONFIG_DEFAULT_SEVERITY) };
  }
  return { kind: 'unsupported', reason: `no normaliser for '${type}' from ${envelope.source}` };
}
