/**
 * The repo's EventBridge event fixtures (`examples/events/`: one copy, used by tests, the demo and the docs) and record
 * factories for tests.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Finding } from '../../src/domain/finding';
import { shapeFrom } from '../../src/domain/playbooks';
import { CATALOGUE } from '../../src/playbooks/catalogue';
import type { ExecutionSettings, PlaybookSettings } from '../../src/domain/policy';
import { parseMessageBody } from '../../src/ingest/envelope';
import { singleFinding } from '../../src/ingest/normalise';

/** Where the event fixtures live: the repo's `examples/events/`. */
export const FIXTURES_DIR = resolve(__dirname, '../../examples/events');

/** Names of every fixture file. */
export function fixtureNames(): string[] {
  return readdirSync(FIXTURES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

/** The raw text of one fixture. */
export function fixtureText(name: string): string {
  return readFileSync(join(FIXTURES_DIR, name), 'utf8');
}

/**
 * A fixture pointed at another resource: every mention of the resource id its finding names replaced by
 * `resourceId` (its ARNs and names too), with its `time` as written.
 */
export function fixturePointedAt(name: string, resourceId: string): Record<string, unknown> {
  const text = fixtureText(name);
  const fixtureId = singleFinding(parseMessageBody(text)).resource.resourceId;
  return JSON.parse(text.split(fixtureId).join(resourceId)) as Record<string, unknown>;
}

/** A fixture as EventBridge would deliver it now: its `time` set to the present (the policy refuses old events). */
export function freshFixtureText(name: string): string {
  return JSON.stringify(fixtureEvent(name));
}

/**
 * A fixture parsed, with optional changes to its detail, and its `time` set to now: as EventBridge would deliver it
 * today (the policy refuses events older than its maximum age).
 */
export function fixtureEvent(
  name: string,
  detailPatch: Record<string, unknown> = {},
): Record<string, unknown> {
  const event = JSON.parse(fixtureText(name)) as Record<string, unknown> & {
    detail: Record<string, unknown>;
  };
  return { ...event, time: new Date().toISOString(), detail: { ...event.detail, ...detailPatch } };
}

/** A NON_COMPLIANT S3 public-read finding for `bucket`. */
export function s3Finding(bucket: string, overrides: Partial<Finding> = {}): Finding {
  return {
    source: 'aws.config',
    control: 's3-bucket-public-read-prohibited',
    state: 'FAILED',
    resource: {
      account: '123456789012',
      region: 'ap-northeast-1',
      resourceType: 'AWS::S3::Bucket',
      resourceId: bucket,
    },
    severity: 5,
    title: `s3-bucket-public-read-prohibited is NON_COMPLIANT for ${bucket}`,
    observedAt: '2026-11-20T08:14:51.512Z',
    eventId: `evt-${bucket}`,
    details: { complianceType: 'NON_COMPLIANT' },
    ...overrides,
  };
}

/** Fast settings for tests: no propagation wait, quick retries, short cool-down. */
export function fastSettings(
  overrides: Partial<PlaybookSettings> = {},
  cooldownMs = 1000,
): ExecutionSettings {
  const settings: PlaybookSettings = {
    mode: 'auto',
    propagationWaitMs: 0,
    activityTimeoutMs: 10_000,
    retry: { initialIntervalMs: 200, backoffCoefficient: 2, maximumAttempts: 4, maximumIntervalMs: 1000 },
    ...overrides,
  };
  // Every playbook of the catalogue, with its shape, as the worker sends them.
  return {
    cooldownMs,
    playbooks: Object.fromEntries(
      Object.entries(CATALOGUE).map(([id, definition]) => [
        id,
        { ...settings, shape: shapeFrom(definition) },
      ]),
    ),
  };
}

/** A finding for any resource, Config-shaped. */
export function configFinding(
  control: string,
  resource: Finding['resource'],
  overrides: Partial<Finding> = {},
): Finding {
  return {
    source: 'aws.config',
    control,
    state: 'FAILED',
    resource,
    severity: 5,
    title: `${control} is NON_COMPLIANT for ${resource.resourceId}`,
    observedAt: '2026-11-20T08:14:51.512Z',
    eventId: `evt-${control}-${resource.resourceId}`,
    details: { complianceType: 'NON_COMPLIANT' },
    ...overrides,
  };
}

/** A GuardDuty finding about an instance or an access key (IAM keys live in `global`), Tor client by default. */
export function guardDutyFinding(
  resourceType: 'AWS::EC2::Instance' | 'AWS::IAM::AccessKey',
  resourceId: string,
  overrides: Partial<Finding> = {},
): Finding {
  return {
    source: 'aws.guardduty',
    control: 'UnauthorizedAccess:EC2/TorClient',
    state: 'FAILED',
    resource: {
      account: '123456789012',
      region: resourceType === 'AWS::IAM::AccessKey' ? 'global' : 'ap-northeast-1',
      resourceType,
      resourceId,
    },
    severity: 8,
    title: 'GuardDuty finding',
    observedAt: '2026-11-21T02:40:00Z',
    eventId: `evt-${resourceId}`,
    details: { guardDutyFindingId: `gd-${resourceId}`, resourceRole: 'ACTOR' },
    ...overrides,
  };
}

/** A CloudWatch alarm in ALARM about an instance or an Auto Scaling group, as the ingest normalises it. */
export function alarmFinding(
  resourceType: 'AWS::EC2::Instance' | 'AWS::AutoScaling::AutoScalingGroup',
  resourceId: string,
  metric: 'AWS/EC2/StatusCheckFailed_System' | 'AWS/EC2/CPUUtilization',
  alarmName: string,
): Finding {
  return {
    source: 'aws.cloudwatch',
    control: metric,
    state: 'FAILED',
    resource: { account: '123456789012', region: 'ap-northeast-1', resourceType, resourceId },
    severity: 7,
    title: `${alarmName} is in ALARM`,
    observedAt: '2026-11-22T10:00:00Z',
    eventId: `evt-${alarmName}-${resourceId}`,
    details: { alarmName, alarmState: 'ALARM' },
  };
}
