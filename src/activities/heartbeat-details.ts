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

const latest = new WeakMap<Context, ApplyingDetails>();

/** Heartbeats that the current attempt is about to make the change of `step`. */
export function markApplying(step: string): void {
  const ctx = Context.current();
  const details: ApplyingDetails = { applying: step };
  latest.set(ctx, details);
  ctx.heartbeat(details);
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
