/**
 * What an attempt tells the next one through its heartbeat details: the step it was applying when it last reported
 * (a retry may claim a change it finds made only when its previous attempt had got as far as making it:
 * docs/architecture.md, Playbook kit; someone else's change between the attempts is never taken for ours), and how
 * far its verification had read (a retry resumes the same window: docs/architecture.md, Verification). The
 * keep-alive heartbeats (keep-alive.ts) repeat the latest details, so they never erase them.
 */
import { Context } from '@temporalio/activity';
import { verifyingProgressFrom } from './verification-polling';
import type { VerifyingProgress } from './verification-polling';

/** The details an attempt heartbeats: the step it is about to apply, or how far its verification has read. */
export interface AttemptDetails {
  readonly applying?: string;
  readonly verifying?: VerifyingProgress;
}

/**
 * Records heartbeat details at the server and resolves once the server has them: the worker's Temporal client
 * (`client.activity.heartbeat`). The SDK's own `heartbeat` only queues them, and a worker killed a moment later
 * (while its change is on the way to AWS) would leave a retry without the mark.
 */
export type RecordHeartbeat = (taskToken: Uint8Array, details: AttemptDetails) => Promise<void>;

const latest = new WeakMap<Context, AttemptDetails>();

/**
 * Marks that the current attempt is about to make the change of `step`: queued with the SDK's heartbeat (so the
 * keep-alive repeats it) and, given `record`, acknowledged by the server before the change goes out.
 */
export async function markApplying(step: string, record?: RecordHeartbeat): Promise<void> {
  const ctx = Context.current();
  const details: AttemptDetails = { applying: step };
  latest.set(ctx, details);
  ctx.heartbeat(details);
  if (record) await record(ctx.info.taskToken, details);
}

/**
 * Notes how far the current attempt's verification has read: queued with the SDK's heartbeat (sent at once the first
 * time, then at most once per throttle interval) and repeated by the keep-alive. Losing the latest note to a crash
 * only costs the retry a read or two, so it is not waited for.
 */
export function noteVerifying(progress: VerifyingProgress): void {
  const ctx = Context.current();
  const details: AttemptDetails = { ...latest.get(ctx), verifying: progress };
  latest.set(ctx, details);
  ctx.heartbeat(details);
}

/** The details the current attempt last heartbeated, to repeat with every further heartbeat. */
export function currentDetails(ctx: Context): AttemptDetails | undefined {
  return latest.get(ctx);
}

/** The step the previous attempt was applying when it last heartbeated, if it got that far. */
export function previousAttemptApplying(): string | undefined {
  const details: unknown = Context.current().info.heartbeatDetails;
  const applying = (details as { applying?: unknown } | null | undefined)?.applying;
  return typeof applying === 'string' ? applying : undefined;
}

/** How far the previous attempt's verification had read, if it had started reading. */
export function previousAttemptVerifying(): VerifyingProgress | undefined {
  return verifyingProgressFrom(Context.current().info.heartbeatDetails);
}
