/**
 * The ingest's trust gate (src/ingest/trust-gate.ts), the message handler's use of it (every finding checked before
 * any is enriched or delivered; one alert per refused message), and the rate limit of the security alerts
 * (src/ingest/security-alert.ts). docs/architecture.md, Trust model and Queue messages.
 */
import { PublishCommand } from '@aws-sdk/client-sns';
import type { PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import type { Finding, RoutedFinding } from '../../src/domain/finding';
import { DEFAULT_TRUST, resolveTrust } from '../../src/domain/policy';
import type { DispatchResult, FindingDispatcher } from '../../src/ingest/dispatcher';
import { parseMessageBody } from '../../src/ingest/envelope';
import type { EventBridgeEnvelope } from '../../src/ingest/envelope';
import { createMessageHandler } from '../../src/ingest/message-handler';
import { singleFinding } from '../../src/ingest/normalise';
import { SECURITY_ALERT_SUBJECT, SecurityAlerter } from '../../src/ingest/security-alert';
import type { TrustRefusal } from '../../src/ingest/security-alert';
import { trustProblem } from '../../src/ingest/trust-gate';
import type { GateTrust } from '../../src/ingest/trust-gate';
import { silentLogger } from '../../src/logger';
import type { MetricsRecorder } from '../../src/metrics/recorder';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';
import { fixtureEvent } from '../helpers/fixtures';

const SELF = '123456789012';
const MEMBER = '210987654321';
const ADMIN = '444455556666';
const STRANGER = '999988887777';
const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;

const trust = (overrides: Partial<GateTrust> = {}): GateTrust => ({
  accounts: [SELF, MEMBER],
  delegatedAdminAccounts: [ADMIN],
  maxEventAgeMs: 7 * DAY,
  ...overrides,
});

/** A fixture event with its envelope account (null: none) and the finding's account set. */
function event(
  fixture: string,
  { envelope, finding }: { envelope?: string | null; finding?: string } = {},
): Record<string, unknown> {
  const doc = fixtureEvent(fixture) as Record<string, unknown> & { detail: Record<string, unknown> };
  if (envelope === null) delete doc.account;
  else if (envelope !== undefined) doc.account = envelope;
  if (finding !== undefined) {
    if (doc.source === 'aws.config') doc.detail.awsAccountId = finding;
    if (doc.source === 'aws.guardduty') doc.detail.accountId = finding;
    if (doc.source === 'aws.securityhub') {
      const [first] = doc.detail.findings as Record<string, unknown>[];
      (first as Record<string, unknown>).AwsAccountId = finding;
    }
  }
  return doc;
}

const CONFIG = 'config-s3-bucket-public-read-noncompliant.json';
const GUARDDUTY = 'guardduty-ec2-unauthorized-access.json';
const SECURITYHUB = 'securityhub-ec2.8-failed.json';

/** The envelope and its one finding, and a clock an hour after the event. */
function parsed(doc: Record<string, unknown>): {
  envelope: EventBridgeEnvelope;
  finding: Finding;
  now: number;
} {
  const envelope = parseMessageBody(JSON.stringify(doc));
  return { envelope, finding: singleFinding(envelope), now: Date.parse(envelope.time) + HOUR };
}

function verdictOf(doc: Record<string, unknown>, gate: GateTrust = trust(), later = 0) {
  const { envelope, finding, now } = parsed(doc);
  return trustProblem(envelope, finding, gate, now + later);
}

describe('trustProblem', () => {
  it('lets through a recent finding of a served account and region whose envelope is its own account', () => {
    for (const fixture of [CONFIG, GUARDDUTY, SECURITYHUB]) {
      expect(verdictOf(event(fixture))).toBeUndefined();
      expect(verdictOf(event(fixture, { envelope: MEMBER, finding: MEMBER }))).toBeUndefined();
    }
  });

  it('dead-letters and alerts a finding about an account the policy does not serve', () => {
    expect(verdictOf(event(CONFIG, { envelope: STRANGER, finding: STRANGER }))).toEqual({
      action: 'dead-letter',
      reason: expect.stringMatching(
        /^account 999988887777 is not one the remediator serves \(policy trust.accounts\)$/,
      ) as unknown,
      alert: true,
    });
  });

  it('dead-letters and alerts a finding in a region the policy does not serve; IAM’s global always passes', () => {
    const regions = trust({ regions: ['eu-west-1'] });
    expect(verdictOf(event(CONFIG), regions)).toEqual({
      action: 'dead-letter',
      reason: expect.stringContaining('region ap-northeast-1 is not one the remediator serves') as unknown,
      alert: true,
    });
    expect(verdictOf(event(CONFIG), trust({ regions: ['ap-northeast-1'] }))).toBeUndefined();
    const key = parsed(event('guardduty-iam-user-access-key.json'));
    expect(key.finding.resource.region).toBe('global');
    expect(trustProblem(key.envelope, key.finding, regions, key.now)).toBeUndefined();
  });

  it('dead-letters and alerts an envelope from another account than the finding’s', () => {
    // A served account claimed by a message from another (served or not) account: a forgery or a misrouted event.
    for (const envelope of [MEMBER, STRANGER]) {
      const verdict = verdictOf(event(CONFIG, { envelope, finding: SELF }));
      expect(verdict).toEqual({
        action: 'dead-letter',
        reason: expect.stringContaining(
          `the envelope comes from account ${envelope}, the finding is about account ${SELF}`,
        ) as unknown,
        alert: true,
      });
    }
  });

  it('accepts a delegated administrator’s GuardDuty and Security Hub findings of members, not its Config events', () => {
    expect(verdictOf(event(GUARDDUTY, { envelope: ADMIN, finding: MEMBER }))).toBeUndefined();
    expect(verdictOf(event(SECURITYHUB, { envelope: ADMIN, finding: MEMBER }))).toBeUndefined();
    // Config (and CloudWatch, and bus-to-bus forwarding) keep the origin's account in the envelope.
    expect(verdictOf(event(CONFIG, { envelope: ADMIN, finding: MEMBER }))).toMatchObject({
      action: 'dead-letter',
      alert: true,
    });
    // Forwarding does not widen the scope: the member must be served.
    expect(verdictOf(event(GUARDDUTY, { envelope: ADMIN, finding: STRANGER }))).toMatchObject({
      action: 'dead-letter',
      reason: expect.stringContaining('account 999988887777 is not one') as unknown,
      alert: true,
    });
    // Nor does an administrator the policy does not name.
    expect(
      verdictOf(
        event(GUARDDUTY, { envelope: ADMIN, finding: MEMBER }),
        trust({ delegatedAdminAccounts: [] }),
      ),
    ).toMatchObject({ action: 'dead-letter', alert: true });
  });

  it('dead-letters an envelope that names no account, without an alert', () => {
    expect(verdictOf(event(CONFIG, { envelope: null }))).toEqual({
      action: 'dead-letter',
      reason: 'the envelope names no account',
      alert: false,
    });
  });

  it('acknowledges a stale event with the reason, without an alert; a refused claim wins over its age', () => {
    expect(verdictOf(event(CONFIG), trust(), 6 * DAY)).toBeUndefined();
    expect(verdictOf(event(CONFIG), trust(), 8 * DAY)).toEqual({
      action: 'acknowledge',
      reason: expect.stringMatching(
        /^stale: the event is from \S+, 8(\.\d)? days ago, older than .*trust.maxEventAgeMs \(7 days\)$/,
      ) as unknown,
      alert: false,
    });
    expect(verdictOf(event(CONFIG), trust({ maxEventAgeMs: 30 * 60_000 }))).toMatchObject({
      action: 'acknowledge',
      reason: expect.stringContaining('(30 min)') as unknown,
    });
    expect(
      verdictOf(event(CONFIG, { envelope: STRANGER, finding: STRANGER }), trust(), 30 * DAY),
    ).toMatchObject({ action: 'dead-letter', alert: true });
  });

  it('dead-letters an envelope time that is not a time', () => {
    expect(verdictOf({ ...event(CONFIG), time: 'yesterday' })).toEqual({
      action: 'dead-letter',
      reason: 'the envelope time "yesterday" is not a time',
      alert: false,
    });
  });

  it('serves every account with `*`, and still holds the envelope to the finding’s account', () => {
    const any = trust({ accounts: ['*'] });
    expect(verdictOf(event(CONFIG, { envelope: STRANGER, finding: STRANGER }), any)).toBeUndefined();
    expect(verdictOf(event(CONFIG, { envelope: SELF, finding: STRANGER }), any)).toMatchObject({
      action: 'dead-letter',
      alert: true,
    });
  });

  it('resolves `self` of the default trust to the ingest’s own account only', () => {
    const resolved = resolveTrust(DEFAULT_TRUST, SELF);
    expect(verdictOf(event(CONFIG), resolved)).toBeUndefined();
    expect(verdictOf(event(CONFIG, { envelope: MEMBER, finding: MEMBER }), resolved)).toMatchObject({
      action: 'dead-letter',
      reason: expect.stringContaining(`account ${MEMBER} is not one`) as unknown,
    });
  });
});

/** A dispatcher that only records what would reach Temporal. */
function recordingDispatcher(): { dispatcher: FindingDispatcher; started: RoutedFinding[] } {
  const started: RoutedFinding[] = [];
  const deliver = async (routed: RoutedFinding): Promise<DispatchResult> => {
    started.push(routed);
    return { kind: 'delivered', workflowId: `wf/${routed.finding.resource.resourceId}` };
  };
  return { dispatcher: { start: deliver, signalOnly: deliver } as unknown as FindingDispatcher, started };
}

describe('the message handler', () => {
  const now = () => Date.parse('2026-11-25T00:00:00Z');

  it('checks every finding before any is enriched or delivered, and alerts once for a refused message', async () => {
    // Prepare: a Security Hub event with two findings, the second about an account the policy does not serve.
    const doc = event(SECURITYHUB) as { detail: { findings: Record<string, unknown>[] } };
    const [first] = doc.detail.findings as [Record<string, unknown>];
    doc.detail.findings = [first, { ...first, Id: `${String(first.Id)}-2`, AwsAccountId: STRANGER }];
    const { dispatcher, started } = recordingDispatcher();
    const enriched: Finding[] = [];
    const alerts: TrustRefusal[] = [];
    const handle = createMessageHandler({
      policy: DEFAULT_POLICY,
      dispatcher,
      // The delegated administrator forwards both, so only the scope refuses the second.
      trust: trust({ accounts: [SELF] }),
      enrich: async (f) => {
        enriched.push(f);
        return f;
      },
      alert: (refusal) => alerts.push(refusal),
      now,
    });

    // Act
    const forwarded = { ...doc, account: ADMIN };
    const disposition = await handle(JSON.stringify(forwarded));

    // Assess
    expect(disposition).toEqual({
      kind: 'dead-letter',
      reason: expect.stringMatching(
        /^aws\.securityhub finding in event .*: account 999988887777 is not one/,
      ) as unknown,
    });
    expect(started).toEqual([]);
    expect(enriched).toEqual([]);
    expect(alerts).toEqual([
      expect.objectContaining({ envelopeAccount: ADMIN, account: STRANGER, source: 'aws.securityhub' }),
    ]);
  });

  it('labels the findings of a refused message with no account: a forged claim makes no new series', async () => {
    // Prepare: the same refused message as above, and a delivered one, counted.
    const doc = event(SECURITYHUB) as { detail: { findings: Record<string, unknown>[] } };
    const [first] = doc.detail.findings as [Record<string, unknown>];
    doc.detail.findings = [first, { ...first, Id: `${String(first.Id)}-2`, AwsAccountId: STRANGER }];
    const counted: Record<string, string>[] = [];
    const metrics: MetricsRecorder = {
      record: (key, labels) => {
        if (key === 'findingsReceived') counted.push({ ...labels });
      },
    };
    const handle = createMessageHandler({
      policy: DEFAULT_POLICY,
      dispatcher: recordingDispatcher().dispatcher,
      trust: trust({ accounts: [SELF] }),
      now,
      metrics,
    });

    // Act
    await handle(JSON.stringify({ ...doc, account: ADMIN }));
    await handle(JSON.stringify(event(CONFIG)));

    // Assess
    expect(counted).toEqual([
      { source: 'aws.securityhub', disposition: 'dead_lettered', account: 'unknown' },
      { source: 'aws.securityhub', disposition: 'dead_lettered', account: 'unknown' },
      { source: 'aws.config', disposition: 'delivered', account: SELF },
    ]);
  });

  it('acknowledges a stale event without starting or alerting, and delivers a fresh one', async () => {
    const { dispatcher, started } = recordingDispatcher();
    const alerts: TrustRefusal[] = [];
    const handle = (clock: () => number) =>
      createMessageHandler({
        policy: DEFAULT_POLICY,
        dispatcher,
        trust: trust(),
        alert: (refusal) => alerts.push(refusal),
        now: clock,
      });

    const stale = await handle(() => now() + 30 * DAY)(JSON.stringify(event(CONFIG)));
    expect(stale).toMatchObject({
      kind: 'acknowledged',
      reason: expect.stringMatching(/^stale: /) as unknown,
    });
    expect(started).toEqual([]);

    expect(await handle(now)(JSON.stringify(event(CONFIG)))).toMatchObject({ kind: 'delivered' });
    expect(started).toHaveLength(1);
    expect(alerts).toEqual([]);
  });
});

describe('an emulator envelope without an account', () => {
  const now = () => Date.parse('2026-11-25T00:00:00Z');
  const withoutAccount = JSON.stringify(event(CONFIG, { envelope: null }));

  it('is dead-lettered by `remediator ingest`, and taken as the emulator’s account by the local stack', async () => {
    const { dispatcher, started } = recordingDispatcher();
    const options = { policy: DEFAULT_POLICY, dispatcher, trust: trust(), now };

    expect(await createMessageHandler(options)(withoutAccount)).toEqual({
      kind: 'dead-letter',
      reason: expect.stringMatching(/: the envelope names no account$/) as unknown,
    });
    expect(started).toEqual([]);

    const local = createMessageHandler({ ...options, emulatorEnvelopeAccount: SELF });
    expect(await local(withoutAccount)).toMatchObject({ kind: 'delivered' });
    // The emulator's account is only what a missing one stands for: a finding of another account is still refused.
    const other = JSON.stringify(event(CONFIG, { envelope: null, finding: MEMBER }));
    expect(await local(other)).toMatchObject({
      kind: 'dead-letter',
      reason: expect.stringContaining(`the envelope comes from account ${SELF}`) as unknown,
    });
  });
});

/** An SNS client that records publishes; `fail` makes them reject. */
function fakeSns(fail = false): { sns: Pick<SNSClient, 'send'>; sent: PublishCommandInput[] } {
  const sent: PublishCommandInput[] = [];
  const sns = {
    send: async (command: unknown) => {
      if (!(command instanceof PublishCommand)) throw new Error('unexpected command');
      if (fail) throw new Error('AuthorizationError: not allowed to publish');
      sent.push(command.input);
      return {};
    },
  } as unknown as Pick<SNSClient, 'send'>;
  return { sns, sent };
}

const refusal = (overrides: Partial<TrustRefusal> = {}): TrustRefusal => ({
  eventId: 'evt-1',
  source: 'aws.config',
  envelopeAccount: STRANGER,
  account: SELF,
  region: 'ap-northeast-1',
  resourceType: 'AWS::S3::Bucket',
  resourceId: 'acme-marketing-assets',
  reason: `the envelope comes from account ${STRANGER}, the finding is about account ${SELF}`,
  ...overrides,
});

describe('SecurityAlerter', () => {
  const TOPIC = 'arn:aws:sns:ap-northeast-1:123456789012:remediator-oncall';

  it('publishes one bounded message to on-call naming the event, the accounts and the reason', async () => {
    const { sns, sent } = fakeSns();
    const alerter = new SecurityAlerter({ sns, topicArn: TOPIC, logger: silentLogger });

    alerter.refused(refusal({ resourceId: `x${'y'.repeat(100_000)}\u0000` }));
    await alerter.flush();

    expect(sent).toHaveLength(1);
    const [alert] = sent as [PublishCommandInput];
    expect(alert.TopicArn).toBe(TOPIC);
    expect(alert.Subject).toBe(SECURITY_ALERT_SUBJECT);
    expect(alert.Subject).toBe('remediator: refused a finding from the queue');
    expect(alert.Message).toContain('Event id: evt-1');
    expect(alert.Message).toContain(`Envelope account: ${STRANGER}`);
    expect(alert.Message).toContain(`Finding account: ${SELF}`);
    expect(alert.Message).toContain(`Reason: the envelope comes from account ${STRANGER}`);
    expect(Buffer.byteLength(alert.Message ?? '', 'utf8')).toBeLessThan(3000);
    expect(alert.Message).not.toContain('\u0000');
  });

  it('sends at most one alert per reason and account per window, and counts the held-back ones in the next', async () => {
    let clock = 0;
    const { sns, sent } = fakeSns();
    const alerter = new SecurityAlerter({ sns, topicArn: TOPIC, logger: silentLogger, now: () => clock });

    for (let i = 0; i < 500; i += 1) alerter.refused(refusal({ eventId: `forged-${i}` }));
    alerter.refused(
      refusal({ account: MEMBER, reason: 'account 210987654321 is not one the remediator serves' }),
    );
    await alerter.flush();
    expect(sent.map((m) => m.Message?.match(/Event id: (\S+)/)?.[1])).toEqual(['forged-0', 'evt-1']);

    clock += 60_000;
    alerter.refused(refusal({ eventId: 'forged-500' }));
    await alerter.flush();
    expect(sent).toHaveLength(3);
    expect(sent[2]?.Message).toContain(
      '499 more refusal(s) for the same reason and account were not alerted',
    );
  });

  it('sends at most `maxPerWindow` alerts in all, whatever the accounts, and counts the rest', async () => {
    let clock = 0;
    const { sns, sent } = fakeSns();
    const alerter = new SecurityAlerter({
      sns,
      topicArn: TOPIC,
      logger: silentLogger,
      now: () => clock,
      maxPerWindow: 3,
    });

    // A flood of forged messages, each claiming another account.
    for (let i = 0; i < 2000; i += 1) {
      alerter.refused(refusal({ account: String(100000000000 + i), eventId: `forged-${i}` }));
    }
    await alerter.flush();
    expect(sent).toHaveLength(3);

    clock += 60_000;
    alerter.refused(refusal({ account: '555555555555' }));
    await alerter.flush();
    expect(sent).toHaveLength(4);
    expect(sent[3]?.Message).toContain('1997 other refusal(s) were not alerted');
  });

  it('logs a failed publish and never throws', async () => {
    const { sns } = fakeSns(true);
    const errors: string[] = [];
    const alerter = new SecurityAlerter({
      sns,
      topicArn: TOPIC,
      logger: {
        ...silentLogger,
        error: (message, fields) => errors.push(`${message} ${JSON.stringify(fields)}`),
      },
    });

    expect(() => alerter.refused(refusal())).not.toThrow();
    await alerter.flush();

    expect(errors).toEqual([expect.stringContaining('AuthorizationError')]);
  });
});
