/**
 * Chooses the normaliser for an envelope's detail-type. A detail-type we have no normaliser for is a valid event
 * that needs no action: the bridge acknowledges it with a logged reason.
 */
import type { Finding } from '../domain/finding';
import type { EventBridgeEnvelope } from './envelope';
import { normaliseAlarm } from './normalise-cloudwatch';
import { normaliseConfigCompliance } from './normalise-config';
import { normaliseGuardDuty } from './normalise-guardduty';
import { normaliseSecurityHub } from './normalise-securityhub';

/** Severity given to Config findings, which carry none (GuardDuty's 0–10 scale). */
export const CONFIG_DEFAULT_SEVERITY = 5;

/** Outcome of normalisation: the findings an event carries, or why it is not one we handle. */
export type Normalised = { kind: 'findings'; findings: Finding[] } | { kind: 'unsupported'; reason: string };

/**
 * Longest finding title kept. Titles are free text from the event (GuardDuty's `title`, ASFF `Title`, whose own limit
 * is 256) and go into every execution's input and history: an oversized one is cut, not carried.
 */
export const MAX_TITLE_LENGTH = 512;

/** The finding with its title bounded to `MAX_TITLE_LENGTH` characters (an ellipsis marks a cut). */
export function boundedTitle(finding: Finding): Finding {
  const chars = Array.from(finding.title);
  if (chars.length <= MAX_TITLE_LENGTH) return finding;
  return { ...finding, title: `${chars.slice(0, MAX_TITLE_LENGTH - 1).join('')}…` };
}

/** Normalises any supported event; throws `IngestRejection` for a supported type with an invalid detail. */
export function normaliseEvent(envelope: EventBridgeEnvelope): Normalised {
  const normalised = normaliseByType(envelope);
  return normalised.kind === 'findings'
    ? { kind: 'findings', findings: normalised.findings.map(boundedTitle) }
    : normalised;
}

function normaliseByType(envelope: EventBridgeEnvelope): Normalised {
  const type = envelope['detail-type'];
  if (envelope.source === 'aws.config' && type === 'Config Rules Compliance Change') {
    return { kind: 'findings', findings: [normaliseConfigCompliance(envelope, CONFIG_DEFAULT_SEVERITY)] };
  }
  if (envelope.source === 'aws.guardduty' && type === 'GuardDuty Finding') {
    return { kind: 'findings', findings: [normaliseGuardDuty(envelope)] };
  }
  if (envelope.source === 'aws.cloudwatch' && type === 'CloudWatch Alarm State Change') {
    return { kind: 'findings', findings: [normaliseAlarm(envelope)] };
  }
  if (envelope.source === 'aws.securityhub' && type === 'Security Hub Findings - Imported') {
    return { kind: 'findings', findings: normaliseSecurityHub(envelope) };
  }
  return { kind: 'unsupported', reason: `no normaliser for '${type}' from ${envelope.source}` };
}

/** The one finding of an event that must carry exactly one (demo, tests); throws otherwise. */
export function singleFinding(envelope: EventBridgeEnvelope): Finding {
  const normalised = normaliseEvent(envelope);
  if (normalised.kind !== 'findings' || normalised.findings.length !== 1) {
    throw new Error(`event ${envelope.id} does not carry exactly one finding`);
  }
  return normalised.findings[0] as Finding;
}
