/**
 * Moving an instance's network interfaces into isolation without ever leaving one open (docs/playbooks.md,
 * ec2-isolate-instance). Per ENI: the allow-all group (its tracked connections become untracked), then at once the
 * isolation group, retried within this call; if the isolation group cannot be set, the ENI goes back to its original
 * groups. The allow-all group is never where a call of this module leaves an ENI while it can still act: only a
 * dead process or an EC2 that refuses both moves for the whole retry budget can, and then the next attempt (or the
 * verification, which fails on it) finds it. The allow-all group is deleted once no ENI uses it.
 */
import { ModifyNetworkInterfaceAttributeCommand } from '@aws-sdk/client-ec2';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { awsErrorName, isPermanent } from '../aws-errors';
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
}

/** How hard the critical section tries before falling back, and how long the fallback keeps trying. */
export interface MoveBudget {
  readonly isolationTries: number;
  readonly fallbackTries: number;
  readonly firstGapMs: number;
}

/** The default budget: ~6 s on the isolation group, then ~6 s on the original groups, alternating up to 3 rounds. */
export const DEFAULT_MOVE_BUDGET: MoveBudget = { isolationTries: 5, fallbackTries: 5, firstGapMs: 200 };

const ROUNDS = 3;

/** What a move needs from its caller. */
export interface MoveContext {
  readonly ec2: EC2Client;
  /** The activity's signal: honoured until the allow-all group is attached, ignored after (see `isolateInterface`). */
  readonly abortSignal?: AbortSignal;
  readonly budget?: MoveBudget;
  readonly sleep?: (ms: number) => Promise<void>;
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

/** Tries `groups` up to `tries` times with growing gaps; returns the last error, or undefined on success. */
async function tryGroups(
  ctx: MoveContext,
  eniId: string,
  groups: readonly string[],
  tries: number,
): Promise<unknown> {
  const budget = ctx.budget ?? DEFAULT_MOVE_BUDGET;
  const sleep = ctx.sleep ?? pause;
  let last: unknown;
  for (let attempt = 0; attempt < tries; attempt += 1) {
    if (attempt > 0) await sleep(budget.firstGapMs * 2 ** (attempt - 1));
    try {
      // No abort signal: once the ENI is in the allow-all group, this call must finish even if the activity is being
      // cancelled or timed out. A late landing can only isolate (or restore a fallback the verification checks).
      await setGroups(ctx.ec2, eniId, groups);
      return undefined;
    } catch (err) {
      last = err;
      // A permanent refusal (a deleted group, access denied) will not change within this call.
      if (isPermanent(err) && awsErrorName(err) !== 'InvalidGroup.NotFound') break;
    }
  }
  return last ?? new Error('no attempt made');
}

/**
 * Moves one ENI: allow-all, then isolation; on failure, back to `original`. `inAllowAll` says the ENI is in the
 * allow-all group already (an earlier attempt died in between): its connections are untracked, so it goes straight
 * on to isolation.
 */
export async function isolateInterface(
  ctx: MoveContext,
  eni: EniGroups,
  isolationGroup: string,
  original: readonly string[],
  inAllowAll: boolean,
): Promise<EniEnd & { readonly allowAllGroup?: string }> {
  const id = eni.networkInterfaceId;
  if (eni.groups.length === 1 && eni.groups[0] === isolationGroup) {
    return { networkInterfaceId: id, end: 'isolation', changed: false, detail: `${id} already isolated` };
  }
  let allowAll = inAllowAll ? (eni.groups[0] ?? '') : '';
  if (!inAllowAll) {
    const opts = ctx.abortSignal ? { abortSignal: ctx.abortSignal } : {};
    try {
      allowAll = await ensureAllowAllGroup(ctx.ec2, eni.vpcId, opts);
      await setGroups(ctx.ec2, id, [allowAll], ctx.abortSignal);
    } catch (err) {
      // Nothing moved: the ENI is in its own groups still.
      return {
        networkInterfaceId: id,
        end: 'original',
        changed: false,
        detail: `${id} left in its original groups: ${message(err)}`,
        error: err,
        ...(allowAll ? { allowAllGroup: allowAll } : {}),
      };
    }
  }
  const budget = ctx.budget ?? DEFAULT_MOVE_BUDGET;
  // Never restore into the allow-all group (an ENI a crashed attempt left there has no better original known).
  const fallback = original.filter((g) => g !== allowAll && g !== isolationGroup);
  let lastError: unknown;
  for (let round = 0; round < ROUNDS; round += 1) {
    lastError = await tryGroups(ctx, id, [isolationGroup], budget.isolationTries);
    if (lastError === undefined) {
      return {
        networkInterfaceId: id,
        end: 'isolation',
        changed: true,
        detail: `${id} isolated (through the allow-all group)`,
        allowAllGroup: allowAll,
      };
    }
    if (fallback.length === 0) continue;
    const fallbackError = await tryGroups(ctx, id, fallback, budget.fallbackTries);
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
  return {
    networkInterfaceId: id,
    end: 'allow-all',
    changed: true,
    detail: `${id} LEFT IN THE ALLOW-ALL GROUP ${allowAll}: neither the isolation group nor its original groups could be set (${message(lastError)})`,
    error: lastError,
    allowAllGroup: allowAll,
  };
}

/** Moves every ENI, then deletes the allow-all groups it used (when no other ENI still uses them). */
export async function isolateInterfaces(
  ctx: MoveContext,
  enis: readonly EniGroups[],
  isolationGroupOf: (vpcId: string) => string,
  originalOf: (eni: EniGroups) => readonly string[],
  inAllowAll: (eni: EniGroups) => boolean,
): Promise<EniEnd[]> {
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
  if (ends.every((e) => e.end !== 'allow-all')) {
    for (const group of allowAllGroups) await deleteAllowAllGroup(ctx.ec2, group, {});
  }
  return ends;
}

function message(err: unknown): string {
  return `${awsErrorName(err)}: ${(err as { message?: string }).message ?? String(err)}`;
}
