/**
 * `remediator exempt|pause|resume|controls`: operator controls kept by the control workflow of the task queue. Each
 * change is an update (refused with a reason when malformed) that records who made it, from the caller's OS identity.
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { ControlState } from '../domain/controls';
import { controlWorkflowStart } from '../temporal/control-start';
import {
  controlStateQuery,
  controlWorkflowId,
  exemptUpdate,
  pauseUpdate,
  resumeUpdate,
} from '../workflows/control-definitions';
import { DecisionRefusedError } from './decide';
import { randomUUID } from 'node:crypto';
import { exemptClaim, pauseClaim, resumeClaim } from '../domain/control-decisions';
import type { SignedRequest } from '../domain/control-decisions';
import type { DecisionClaim } from '../domain/decision';
import { signatureFor } from './signing';

const UNITS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * An expiry: an ISO time (`2026-12-24T00:00:00Z`) or a duration from now (`30m`, `12h`, `7d`, `2w`). Exemptions
 * always expire: there is no "forever".
 */
export function parseUntil(text: string, now = new Date()): string {
  const duration = /^(\d+)([mhdw])$/.exec(text.trim());
  if (duration) {
    const ms = Number(duration[1]) * (UNITS[duration[2] ?? ''] ?? 0);
    if (ms <= 0) throw new DecisionRefusedError(`--until ${text} must be in the future`);
    return new Date(now.getTime() + ms).toISOString();
  }
  const at = Date.parse(text);
  if (Number.isNaN(at)) {
    throw new DecisionRefusedError(
      `--until '${text}' is neither a time (2026-12-24T00:00:00Z) nor a duration (7d)`,
    );
  }
  if (at <= now.getTime()) throw new DecisionRefusedError(`--until ${text} is in the past`);
  return new Date(at).toISOString();
}

/** How long from now until the time `text` names (an ISO time or a duration, as `parseUntil` reads it). */
export function durationFromNow(text: string, now = new Date()): number {
  return Date.parse(parseUntil(text, now)) - now.getTime();
}

/**
 * The resource key of an exemption: a workflow id (`remediation/<account>/<region>/<type>/<id>`) or the key itself
 * (`<account>/<region>/<type>/<id>`, `*` allowed in any part).
 */
export function exemptionResource(text: string): string {
  const key = text.startsWith('remediation/') ? text.slice('remediation/'.length) : text;
  const parts = key.split('/');
  if (parts.length < 4 || parts.slice(0, 3).some((p) => p === '') || parts.slice(3).join('/') === '') {
    throw new DecisionRefusedError(
      `'${text}' is not a resource: use <account>/<region>/<resourceType>/<resourceId> or the remediation's workflow id`,
    );
  }
  return key;
}

/** Sends one control update, starting the control workflow when it does not exist yet. */
async function controlUpdate<Ret, Args extends unknown[]>(
  client: Client,
  taskQueue: string,
  update: UpdateDefinition<Ret, Args>,
  args: Args,
): Promise<Ret> {
  try {
    return await client.workflow.executeUpdateWithStart(update, {
      args,
      startWorkflowOperation: controlWorkflowStart(taskQueue),
    });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause instanceof Error ? err.cause.message : err.message;
      throw new DecisionRefusedError(`the control workflow refused: ${cause}`, { cause: err });
    }
    throw err;
  }
}

/**
 * A control request with a fresh id and, unless `unsigned`, the operator's AWS signature over `claim` (docs/
 * architecture.md, Trust model): the control workflow records the identity the worker verified.
 */
async function signed<T extends object>(
  taskQueue: string,
  request: T,
  claim: (target: string, r: T & { requestId: string }) => DecisionClaim,
  unsigned: boolean,
): Promise<T & SignedRequest> {
  const withId = { ...request, requestId: randomUUID() };
  const signature = await signatureFor(claim(controlWorkflowId(taskQueue), withId), unsigned);
  return { ...withId, ...(signature ? { signature } : {}) };
}

/** `remediator exempt`. */
export async function exempt(
  client: Client,
  taskQueue: string,
  input: { resource: string; until: string; reason: string; by: string; unsigned?: boolean },
): Promise<string> {
  const request = await signed(
    taskQueue,
    {
      resource: exemptionResource(input.resource),
      until: parseUntil(input.until),
      reason: input.reason,
      by: input.by,
    },
    exemptClaim,
    input.unsigned === true,
  );
  const recorded = await controlUpdate(client, taskQueue, exemptUpdate, [request]);
  const deciders = new Set(recorded.approvedBy ?? [recorded.by]).size;
  const containment =
    deciders < 2 ? ' Containment playbooks ignore it until a second person exempts the same resource.' : '';
  return `Exempted ${recorded.resource} until ${recorded.until} (by ${recorded.by}): ${recorded.reason}.${containment}`;
}

/** `remediator pause`. */
export async function pause(
  client: Client,
  taskQueue: string,
  input: { playbook?: string; account?: string; reason: string; by: string; unsigned?: boolean },
): Promise<string> {
  const { unsigned, ...terms } = input;
  const request = await signed(taskQueue, terms, pauseClaim, unsigned === true);
  const recorded = await controlUpdate(client, taskQueue, pauseUpdate, [request]);
  return `Paused ${recorded.playbook ?? 'every playbook'} in ${recorded.account ?? 'every account'} (by ${recorded.by}): new remediations are held before their first change.`;
}

/** `remediator resume`. */
export async function resume(
  client: Client,
  taskQueue: string,
  input: { playbook?: string; account?: string; by: string; unsigned?: boolean },
): Promise<string> {
  const { unsigned, ...terms } = input;
  const request = await signed(taskQueue, terms, resumeClaim, unsigned === true);
  const { lifted, released } = await controlUpdate(client, taskQueue, resumeUpdate, [request]);
  const scope = `${input.playbook ?? 'every playbook'} in ${input.account ?? 'every account'}`;
  return lifted === 0
    ? `No pause of exactly ${scope} was in place (see remediator controls).`
    : `Resumed ${scope}; ${released} held remediation(s) woken.`;
}

/** `remediator controls`: what is exempt and paused now. */
export async function showControls(client: Client, taskQueue: string): Promise<string> {
  let state: ControlState;
  try {
    state = await client.workflow.getHandle(controlWorkflowId(taskQueue)).query(controlStateQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'No controls recorded yet (no exemption, no pause).';
    throw err;
  }
  const now = Date.now();
  const exemptions = state.exemptions.filter((e) => Date.parse(e.until) > now);
  return [
    `Pauses (${state.pauses.length}):`,
    ...state.pauses.map(
      (p) => `  ${p.playbook ?? '*'} in ${p.account ?? '*'} since ${p.at} by ${p.by}: ${p.reason}`,
    ),
    `Exemptions (${exemptions.length}):`,
    ...exemptions.map((e) => `  ${e.resource} until ${e.until} by ${e.by}: ${e.reason}`),
    `Admissions counted for the breaker and flap windows: ${state.admissions.length}`,
  ].join('\n');
}
