/**
 * How long the bridge holds a message that Temporal did not accept (throttled: RESOURCE_EXHAUSTED, or unreachable),
 * and how far it pushes the message's visibility meanwhile.
 *
 * A message left to its queue's visibility timeout comes back and counts a receive each time; after `maxReceiveCount`
 * of them SQS moves it to the dead-letter queue, so a long enough throttle dead-letters good events. Held instead,
 * the message keeps its one receive: the bridge retries it itself after an exponential, capped delay and keeps it
 * invisible just long enough to cover that delay and one more attempt. SQS refuses a visibility that reaches more than
 * 12 hours past the receive; there the bridge lets the message go with what is left, so it costs one receive per 12
 * hours of outage rather than one per visibility timeout.
 */

/** SQS's limit on a message's visibility, counted from its receive (ChangeMessageVisibility). */
export const SQS_MAX_VISIBILITY_SECONDS = 12 * 60 * 60;

/** Kept clear of the 12 h limit: the bridge's receive time is a little later than SQS's. */
const LIMIT_SAFETY_SECONDS = 60;

/** The knobs of the hold. */
export interface HoldPolicy {
  /** Delay before the first retry. */
  readonly initialDelayMs: number;
  /** Cap of the doubling delay. */
  readonly maxDelayMs: number;
  /**
   * Visibility beyond the delay, so that the retry itself (Temporal's SDK retries a throttled call for up to about
   * half a minute) finishes before the message could reappear.
   */
  readonly marginSeconds: number;
}

/** What to do with a held message now. */
export type HoldStep =
  /** Make it invisible for `visibilitySeconds` and retry it after `delayMs`. */
  | { readonly kind: 'hold'; readonly delayMs: number; readonly visibilitySeconds: number }
  /** Let it go: set its visibility to `visibilitySeconds` (all that is left before the 12 h limit) and forget it. */
  | { readonly kind: 'release'; readonly visibilitySeconds: number };

/** The delay before retry number `attempt` (1 for the first): doubling from the initial delay, capped. */
export function retryDelayMs(attempt: number, policy: HoldPolicy): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  // 2 ** 1024 is Infinity; capping the exponent keeps the arithmetic finite for absurd attempt counts.
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(exponent, 52));
}

/**
 * The step for a message received at `receivedAtMs` whose handling just failed for the `attempt`-th time, at `nowMs`:
 * hold it for the next delay plus the margin, or release it when that would pass SQS's 12 h limit.
 */
export function nextHoldStep(
  attempt: number,
  receivedAtMs: number,
  nowMs: number,
  policy: HoldPolicy,
): HoldStep {
  const delayMs = retryDelayMs(attempt, policy);
  const wanted = Math.ceil(delayMs / 1000) + policy.marginSeconds;
  const elapsed = Math.ceil(Math.max(0, nowMs - receivedAtMs) / 1000);
  const left = Math.max(0, SQS_MAX_VISIBILITY_SECONDS - LIMIT_SAFETY_SECONDS - elapsed);
  if (wanted > left) return { kind: 'release', visibilitySeconds: left };
  return { kind: 'hold', delayMs, visibilitySeconds: wanted };
}
