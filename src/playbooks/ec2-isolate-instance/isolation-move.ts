/**
 * Moving an instance's network interfaces into isolation without ever leaving one open (docs/playbooks.md,
 * ec2-isolate-instance). Per ENI: the allow-all group (its tracked connections become untracked), then at once the
 * isolation group, retried within this call; if the isolation group cannot be set, the ENI goes back to its original
 * groups; if the allow-all group cannot be used, the ENI is isolated directly. A move starts only with time left in
 * the attempt for the isolation and the fallback, so the attempt is not timed out (and the outcome written) while an
 * ENI is in allow-all. Only a dead process, or an EC2 that refuses both moves for the whole budget, leaves one there;
 * the next attempt (or the verification, which fails on it) finds it. The allow-all group is deleted after use.
 */
import { ModifyNetworkInterfaceAttributeCommand } from '@aws-sdk/client-ec2';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { awsErrorName, isPermanent } from '../../activities/aws-errors';
import { deleteAllowAllGroup, ensureAllowAllGroup } from './isolation-groups';

/** One network interface and the groups it had. */
export interface EniGroups {
  readonly networkInterfaceId: string;
  readonly vpcId: string;
  readonly groups: readonly string[];
}

/** Where an ENI ended up, and why. */
export interface EniEnd {
  readonly networkInterfaceId: string;
  /** `isolation`: done; `original`: the isolation group could not be set, back in its own groups; `allow-all`: neither. */
  readonly end: 'isolation' | 'original' | 'allow-all';
  readonly changed: boolean;
  readonly detail: string;
  /** The AWS error behind an `original` or `allow-all` end. */
  readonly error?: unknown;
  /** Isolated, but not all the way (without untracking first): worded for an escalation. */
  readonly unfinished?: string;
}

/** How hard the critical section tries before falling back. */
export interface MoveBudget {
  readonly isolationTries: number;
  readonly fallbackTries: number;
  readonly firstGapMs: number;
}

/** The default budget: up to 5 tries on the isolation group, then 5 on the original groups, gaps from 200 ms. */
export const DEFAULT_MOVE_BUDGET: MoveBudget = { isolationTries: 5, fallbackTries: 5, firstGapMs: 200 };

/** Rounds of (isolation tries, fallback tries) before giving up with the ENI in allow-all. */
const ROUNDS = 3;

/**
 * A move into the allow-all group starts only with this much of the attempt left: enough for the isolation move and
 * the fallback, so that the attempt is not timed out (and its outcome written) while an ENI is in allow-all.
 */
export const MIN_MOVE_WINDOW_MS = 1500;

/** What a move needs from its caller. */
export interface MoveContext {
  readonly ec2: EC2Client;
  /** The activity's signal: honoured until the allow-all group is attached, ignored after (see `tryGroups`). */
  readonly abortSignal?: AbortSignal;
  /** When the attempt's time is up (epoch ms); see `MIN_MOVE_WINDOW_MS`. */
  readonly deadline?: number;
  readonly budget?: MoveBudget;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/** The attempt had too little time left to start a move safely; the next attempt starts it. */
export class MoveWindowClosed extends Error {
  override readonly name = 'MoveWindowClosed';
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function setGroups(
  ec2: EC2Client,
  eniId: string,
  groups: readonly string[],
  abortSignal?: AbortSignal,
) {
  await ec2.send(
    new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Groups: [...groups] }),
    abortSignal ? { abortSignal } : {},
  );
}

/**
 * Tries `groups` up to `tries` times with growing gaps, no gap past `until`; returns the last error, or undefined on
 * success. At least one try, whatever the time.
 */
async function tryGroups(
  ctx: MoveContext,
  eniId: string,
  groups: readonly string[],
  tries: number,
  until: number,
): Promise<unknown> {
  const budget = ctx.budget ?? DEFAULT_MOVE_BUDGET;
  const sleep = ctx.sleep ?? pause;
  const now = ctx.now ?? Date.now;
  let last: unknown;
  for (let attempt = 0; attempt < tries; attempt += 1) {
    if (attempt > 0) {
      const gap = budget.firstGapMs * 2 ** (attempt - 1);
      if (now() + gap >= until) break;
      await sleep(gap);
    }
    try {
      // No abort signal: once the ENI is in the allow-all group, this call must finish even if the activity is being
      // cancelled or timed out. A late landing can only isolate (or restore a fallback the verification checks).
      await setGroups(ctx.ec2, eniId, groups);
      return undefined;
    } catch (err) {
      last = err;
      // A permanent refusal (access denied, a bad group) will not change within this call.
      if (isPermanent(err)) break;
    }
  }
  return last ?? new Error('no attempt made');
}

/**
 * Moves one ENI: allow-all, then isolation; on failure, back to `original`. `inAllowAll` says the ENI is in the
 * allow-all group already (an earlier attempt died in between): its connections are untracked, so it goes straight
 * on to isolation. When the allow-all group cannot be used for good, the ENI is isolated directly: new connections
 * stop and tracked ones may go on, which is still better than leaving it open (`unfinished` says so).
 */
export async function isolateInterface(
  ctx: MoveContext,
  eni: EniGroups,
  isolationGroup: string,
  original: readonly string[],
  inAllowAll: boolean,
): Promise<EniEnd & { readonly allowAllGroup?: string }> {
  const id = eni.networkInterfaceId;
  const now = ctx.now ?? Date.now;
  const deadline = ctx.deadline ?? Number.POSITIVE_INFINITY;
  const budget = ctx.budget ?? DEFAULT_MOVE_BUDGET;
  if (eni.groups.length === 1 && eni.groups[0] === isolationGroup) {
    return { networkInterfaceId: id, end: 'isolation', changed: false, detail: `${id} already isolated` };
  }
  if (!inAllowAll && deadline - now() < MIN_MOVE_WINDOW_MS) {
    const closed = new MoveWindowClosed(`too little of the attempt left to move ${id} safely`);
    return {
      networkInterfaceId: id,
      end: 'original',
      changed: false,
      detail: `${id} left in its original groups for now: too little of the attempt left to move it safely`,
      error: closed,
    };
  }
  let allowAll = inAllowAll ? (eni.groups[0] ?? '') : '';
  if (!inAllowAll) {
    const opts = ctx.abortSignal ? { abortSignal: ctx.abortSignal } : {};
    try {
      allowAll = await ensureAllowAllGroup(ctx.ec2, eni.vpcId, opts);
      await setGroups(ctx.ec2, id, [allowAll], ctx.abortSignal);
    } catch (err) {
      const group = allowAll ? { allowAllGroup: allowAll } : {};
      // Nothing moved: the ENI is in its own groups still. A passing error (throttling) is worth the next attempt,
      // since untracking ends the connections already open; a lasting one (denied, the VPC's group quota) is not:
      // then the ENI is cut off without untracking rather than not at all.
      if (!isPermanent(err)) {
        return {
          networkInterfaceId: id,
          end: 'original',
          changed: false,
          detail: `${id} left in its original groups for now: ${message(err)}`,
          error: err,
          ...group,
        };
      }
      const direct = await tryGroups(ctx, id, [isolationGroup], budget.isolationTries, deadline);
      if (direct === undefined) {
        return {
          networkInterfaceId: id,
          end: 'isolation',
          changed: true,
          detail: `${id} isolated directly`,
          unfinished: `${id} isolated without the allow-all group (${message(err)}): connections tracked before may go on`,
          ...group,
        };
      }
      return {
        networkInterfaceId: id,
        end: 'original',
        changed: false,
        detail: `${id} left in its original groups: the allow-all group could not be used (${message(err)}), nor the isolation group (${message(direct)})`,
        error: direct,
        ...group,
      };
    }
  }
  // Never restore into the allow-all group (an ENI a crashed attempt left there has no better original known).
  const fallback = original.filter((g) => g !== allowAll && g !== isolationGroup);
  let lastError: unknown;
  for (let round = 0; round < ROUNDS; round += 1) {
    // Half of what is left for the isolation group, the rest kept for the fallback.
    const isolationUntil = now() + (deadline - now()) / 2;
    lastError = await tryGroups(ctx, id, [isolationGroup], budget.isolationTries, isolationUntil);
    if (lastError === undefined) {
      return {
        networkInterfaceId: id,
        end: 'isolation',
        changed: true,
        detail: `${id} isolated (through the allow-all group)`,
        allowAllGroup: allowAll,
      };
    }
    if (fallback.length > 0) {
      const fallbackError = await tryGroups(ctx, id, fallback, budget.fallbackTries, deadline);
      if (fallbackError === undefined) {
        return {
          networkInterfaceId: id,
          end: 'original',
          changed: true,
          detail: `${id} back in its original groups ${fallback.join(',')}: the isolation group could not be set (${message(lastError)})`,
          error: lastError,
          allowAllGroup: allowAll,
        };
      }
    }
    if (now() >= deadline) break;
  }
  return {
    networkInterfaceId: id,
    end: 'allow-all',
    changed: true,
    detail: `${id} LEFT IN THE ALLOW-ALL GROUP ${allowAll}: neither the isolation group nor its original groups could be set (${message(lastError)})`,
    error: lastError,
    allowAllGroup: allowAll,
  };
}

/** What moving every ENI did. */
export interface IsolationMoves {
  readonly ends: readonly EniEnd[];
  /** Allow-all groups left behind: an ENI still in one, or the delete failed (in use by another isolation is fine). */
  readonly leftBehind: readonly string[];
}

/** Moves every ENI, then deletes the allow-all groups it used (when no other ENI still uses them). */
export async function isolateInterfaces(
  ctx: MoveContext,
  enis: readonly EniGroups[],
  isolationGroupOf: (vpcId: string) => string,
  originalOf: (eni: EniGroups) => readonly string[],
  inAllowAll: (eni: EniGroups) => boolean,
): Promise<IsolationMoves> {
  const ends: EniEnd[] = [];
  const allowAllGroups = new Set<string>();
  for (const eni of enis) {
    const end = await isolateInterface(
      ctx,
      eni,
      isolationGroupOf(eni.vpcId),
      originalOf(eni),
      inAllowAll(eni),
    );
    if (end.allowAllGroup) allowAllGroups.add(end.allowAllGroup);
    const { allowAllGroup, ...rest } = end;
    void allowAllGroup;
    ends.push(rest);
  }
  const leftBehind: string[] = [];
  if (ends.some((e) => e.end === 'allow-all')) leftBehind.push(...allowAllGroups);
  else {
    for (const group of allowAllGroups) {
      if ((await deleteAllowAllGroup(ctx.ec2, group, {})) === 'failed') leftBehind.push(group);
    }
  }
  return { ends, leftBehind };
}

function message(err: unknown): string {
  return `${awsErrorName(err)}: ${(err as { message?: string }).message ?? String(err)}`;
}
