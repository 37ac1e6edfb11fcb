/**
 * Security alerts of the ingest (docs/architecture.md, Trust model): a message the trust gate refuses for what it
 * claims (an account or region the remediator does not serve, an envelope from another account than the finding's)
 * is either a misconfiguration or someone who can write to the queue trying their luck, so on-call hears of it.
 *
 * Whoever can write to the queue also controls how many alerts there would be, so they are rate-limited: at most one
 * per distinct reason and account per window, and at most `maxPerWindow` in all per window; the next alert counts what
 * was held back. Publishing happens in the background: a failure is logged and never holds up the message's
 * disposition (the message is dead-lettered either way).
 */
import { PublishCommand } from '@aws-sdk/client-sns';
import type { SNSClient } from '@aws-sdk/client-sns';
import { asError } from '../as-error';
import type { Logger } from '../logger';
import { boundedReason } from './reason';

/** The subject of every alert (on-call filters on it). */
export const SECURITY_ALERT_SUBJECT = 'remediator: refused a finding from the queue';

/** What the gate refused, as the alert tells it. Every text field may come from the message: it is bounded here. */
export interface TrustRefusal {
  readonly eventId: string;
  readonly source: string;
  /** The account the EventBridge envelope names (absent when it names none). */
  readonly envelopeAccount?: string;
  /** The account and region the finding is about. */
  readonly account: string;
  readonly region: string;
  readonly resourceType: string;
  readonly resourceId: string;
  /** The gate's reason (without the event id). */
  readonly reason: string;
}

/** Where alerts go, and how many. */
export interface SecurityAlertOptions {
  readonly sns: Pick<SNSClient, 'send'>;
  readonly topicArn: string;
  readonly logger: Logger;
  /** The rate-limit window (default one minute). */
  readonly windowMs?: number;
  /** Alerts in all per window, whatever their reason (default 10). */
  readonly maxPerWindow?: number;
  /** A publish taking longer is abandoned and logged (default 10 s). */
  readonly publishTimeoutMs?: number;
  readonly now?: () => number;
}

/** The region of a topic ARN (`arn:aws:sns:<region>:<account>:<name>`), where its SNS client must be. */
export function topicRegionOf(topicArn: string): string {
  const region = topicArn.split(':')[3];
  if (!region) throw new Error(`not an SNS topic ARN: ${topicArn}`);
  return region;
}

/** Distinct (reason, account) pairs remembered at once; beyond it only the overall limit applies. */
const MAX_REMEMBERED = 1000;

/** Longest field quoted from the message in an alert. */
const MAX_FIELD_CHARS = 256;

function field(value: string | undefined): string {
  if (value === undefined) return '(none)';
  return boundedReason(value.length > MAX_FIELD_CHARS ? `${value.slice(0, MAX_FIELD_CHARS)}…` : value);
}

/** Sends rate-limited security alerts to the on-call topic. */
export class SecurityAlerter {
  private readonly windowMs: number;
  private readonly maxPerWindow: number;
  private readonly publishTimeoutMs: number;
  private readonly now: () => number;
  /** Per (reason, account): when its last alert went, and how many like it were held back since. */
  private readonly lastSent = new Map<string, { at: number; suppressed: number }>();
  private windowStartedAt = -Infinity;
  private sentInWindow = 0;
  /** Held back by the overall limit (any reason) since the last alert that went out. */
  private suppressedOverall = 0;
  private readonly publishing = new Set<Promise<void>>();

  constructor(private readonly options: SecurityAlertOptions) {
    this.windowMs = options.windowMs ?? 60_000;
    this.maxPerWindow = options.maxPerWindow ?? 10;
    this.publishTimeoutMs = options.publishTimeoutMs ?? 10_000;
    this.now = options.now ?? (() => Date.now());
  }

  /** Alerts on-call about a refusal, unless the rate limit holds it back (then it is counted). Never throws. */
  refused(refusal: TrustRefusal): void {
    const now = this.now();
    const key = `${refusal.reason}\n${refusal.account}`;
    const last = this.lastSent.get(key);
    if (last && now - last.at < this.windowMs) {
      last.suppressed += 1;
      return;
    }
    if (now - this.windowStartedAt >= this.windowMs) {
      this.windowStartedAt = now;
      this.sentInWindow = 0;
    }
    if (this.sentInWindow >= this.maxPerWindow) {
      this.suppressedOverall += 1;
      return;
    }
    this.sentInWindow += 1;
    const suppressedAlike = last?.suppressed ?? 0;
    const suppressedOther = this.suppressedOverall;
    this.suppressedOverall = 0;
    this.forgetExpired(now);
    // A flood of distinct accounts must not grow memory: past the bound, only the overall limit holds them.
    if (this.lastSent.size < MAX_REMEMBERED || last) this.lastSent.set(key, { at: now, suppressed: 0 });
    const sending = this.publish(refusal, suppressedAlike, suppressedOther).finally(() =>
      this.publishing.delete(sending),
    );
    this.publishing.add(sending);
  }

  /** Waits for the alerts being published (each bounded by the publish timeout); for a clean shutdown and tests. */
  async flush(): Promise<void> {
    while (this.publishing.size > 0) await Promise.all(this.publishing);
  }

  private forgetExpired(now: number): void {
    if (this.lastSent.size < MAX_REMEMBERED) return;
    for (const [key, entry] of this.lastSent) {
      if (now - entry.at >= this.windowMs) this.lastSent.delete(key);
    }
  }

  private async publish(
    refusal: TrustRefusal,
    suppressedAlike: number,
    suppressedOther: number,
  ): Promise<void> {
    const { topicArn, logger } = this.options;
    const held = [
      ...(suppressedAlike > 0
        ? [
            `${suppressedAlike} more refusal(s) for the same reason and account were not alerted since the last alert.`,
          ]
        : []),
      ...(suppressedOther > 0
        ? [
            `${suppressedOther} other refusal(s) were not alerted: more than ${this.maxPerWindow} alerts in a window.`,
          ]
        : []),
    ];
    const body = [
      'The remediator ingest refused a finding from its queue and dead-lettered the message; nothing was started.',
      'A queue message is a request, never authority (docs/architecture.md, Trust model): either the policy does not',
      'cover this account or region yet, or someone who can write to the queue sent a forged event.',
      '',
      `Reason: ${field(refusal.reason)}`,
      `Event id: ${field(refusal.eventId)}`,
      `Source: ${field(refusal.source)}`,
      `Envelope account: ${field(refusal.envelopeAccount)}`,
      `Finding account: ${field(refusal.account)}`,
      `Finding region: ${field(refusal.region)}`,
      `Resource: ${field(refusal.resourceType)} ${field(refusal.resourceId)}`,
      ...(held.length > 0 ? ['', ...held] : []),
      '',
      'The message is on the dead-letter queue with this reason as its ErrorReason attribute.',
    ].join('\n');
    try {
      await this.options.sns.send(
        new PublishCommand({ TopicArn: topicArn, Subject: SECURITY_ALERT_SUBJECT, Message: body }),
        { abortSignal: AbortSignal.timeout(this.publishTimeoutMs) },
      );
      logger.info('Security alert published', { topicArn, eventId: field(refusal.eventId) });
    } catch (err) {
      logger.error('Could not publish the security alert; the message is dead-lettered all the same', {
        topicArn,
        eventId: field(refusal.eventId),
        error: asError(err).message,
      });
    }
  }
}
