/**
 * What an attempt tells the next one through its heartbeat details: the step it was applying when it last reported.
 * A retry may claim a change it finds made only when its previous attempt had got as far as making it
 * (docs/architecture.md, Playbook kit); someone else's change between the attempts is never taken for ours. The
 * keep-alive heartbeats (keep-alive.ts) repeat the latest details, so they never erase them.
 */
import { Context } from '@temporalio/activity';

/** The details an attempt heartbeats: the step it is about to apply. */
export interface ApplyingDetails {
  readonly applying: string;
}

/**
 * Records heartbeat details at the server and resolves once the server has them: the worker's Temporal client
 * (`client.activity.heartbeat`). The SDK's own `heartbeat` only queues them, and a worker killed a moment later
 * (while its change is on the way to AWS) would leave a retry without the mark.
 */
export type RecordHeartbeat = (taskToken: Uint8Array, details: ApplyingDetails) => Promise<void>;

const latest = new WeakMap<Context, ApplyingDetails>();

/**
 * Marks that the current attempt is about to make the change of `step`: queued with the SDK's heartbeat (so the
 * keep-alive repeats it) and, given `record`, acknowledged by the server before the change goes out.
 */
export async function markApplying(step: string, record?: RecordHeartbeat): Promise<void> {
  const ctx = Context.current();
  const details: ApplyingDetails = { applying: step };
  latest.set(ctx, details);
  ctx.heartbeat(details);
  if (record) await record(ctx.info.taskToken, details);
}

/** The details the current attempt last heartbeated, to repeat with every further heartbeat. */
export function currentDetails(ctx: Context): ApplyingDetails | undefined {
  return latest.get(ctx);
}

/** The step the previous attempt was applying when it last heartbeated, if it got that far. */
export function previousAttemptApplying(): string | undefined {
  const details: unknown = Context.current().info.heartbeatDetails;
  const applying = (details as { applying?: unknown } | null | undefined)?.applying;
  return typeof applying === 'string' ? applying : undefined;
}
