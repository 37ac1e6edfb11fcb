/**
 * Verification that reads the resource back until the fix holds (docs/architecture.md, Verification): a read at once,
 * then reads further apart (the playbook's backoff) until one passes or the window (the policy's
 * `propagationWaitMs`) ends, with a last read at its end. Everything happens inside one activity attempt, so the
 * history gets no event per read; the attempt's heartbeat details carry how far it got, and a retry after a lost
 * worker resumes the same window instead of opening a new one.
 */
import type { Verification } from '../domain/remediation';

/** How far apart a playbook's verification reads are: the first gap, doubling up to the longest. */
export interface VerifyBackoff {
  /** The gap between the first read and the second. */
  readonly firstIntervalMs: number;
  /** The longest gap between two reads. */
  readonly maximumIntervalMs: number;
}

/** Settings that take effect within a second or two (most configuration): 1 s, doubling, at most 10 s apart. */
export const DEFAULT_VERIFY_BACKOFF: VerifyBackoff = { firstIntervalMs: 1000, maximumIntervalMs: 10_000 };

/** How far a verification got: the heartbeat details a retry resumes from. */
export interface VerifyingProgress {
  /** Reads made so far, none of which passed. */
  readonly reads: number;
  /** When the window opened (the first read), epoch milliseconds. */
  readonly since: number;
}

/** What the polling needs from its surroundings: a clock, a cancellable sleep, and a place to record progress. */
export interface PollingEnvironment {
  now(): number;
  /** Sleeps `ms`; rejects when the activity is cancelled. */
  sleep(ms: number): Promise<void>;
  /** Records progress before each pause (the activity's heartbeat). */
  progress(progress: VerifyingProgress): void;
}

/** A verification with how many reads it took. */
export type PolledVerification = Verification & { readonly reads: number };

/** The gap after read number `reads` (1-based): the first interval, doubled per read, capped. */
export function gapAfterRead(reads: number, backoff: VerifyBackoff): number {
  const doubled = backoff.firstIntervalMs * 2 ** Math.min(Math.max(reads - 1, 0), 30);
  return Math.min(doubled, backoff.maximumIntervalMs);
}

/**
 * Reads with `read` until a read passes, one is conclusive (no later read can change it), or `windowMs` from the
 * first read has passed; the last read falls on the window's end. `resumed` continues a previous attempt's window.
 */
export async function pollVerification(
  read: () => Promise<Verification>,
  windowMs: number,
  backoff: VerifyBackoff,
  env: PollingEnvironment,
  resumed?: VerifyingProgress,
): Promise<PolledVerification> {
  const since = resumed?.since ?? env.now();
  const windowEnds = since + Math.max(windowMs, 0);
  let reads = resumed?.reads ?? 0;
  for (;;) {
    const verification = await read();
    reads += 1;
    if (verification.passed || verification.conclusive === true) return { ...verification, reads };
    const now = env.now();
    if (now >= windowEnds)
      return { ...verification, detail: withReads(verification, reads, windowMs), reads };
    env.progress({ reads, since });
    await env.sleep(Math.min(gapAfterRead(reads, backoff), windowEnds - now));
  }
}

function withReads(verification: Verification, reads: number, windowMs: number): string {
  if (reads <= 1) return verification.detail;
  return `${verification.detail} (still so after ${reads} reads over ${formatSeconds(windowMs)})`;
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

/** The progress in heartbeat details, or `undefined` when they carry none of the right shape. */
export function verifyingProgressFrom(details: unknown): VerifyingProgress | undefined {
  const verifying = (details as { verifying?: unknown } | null | undefined)?.verifying;
  if (typeof verifying !== 'object' || verifying === null) return undefined;
  const { reads, since } = verifying as { reads?: unknown; since?: unknown };
  if (typeof reads !== 'number' || !Number.isInteger(reads) || reads < 0) return undefined;
  if (typeof since !== 'number' || !Number.isFinite(since)) return undefined;
  return { reads, since };
}
