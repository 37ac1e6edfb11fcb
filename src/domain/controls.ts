/**
 * Operator controls kept by the control workflow (one per task queue): exemptions with an expiry, pauses per playbook
 * and account, the blast-radius breaker and flap detection. The admission decision is a pure function of the state,
 * so the control workflow stays deterministic and the rules are unit-tested.
 */
import type { ResourceRef } from './finding';
import { PLAYBOOKS } from './playbooks';
import type { ExemptionSettings, WindowLimit } from './policy';

/** An operator's exemption of one resource (or a pattern of them) until a time. */
export interface Exemption {
  /** `<account>/<region>/<resourceType>/<resourceId>`; `*` matches any run of characters. */
  readonly resource: string;
  readonly until: string;
  readonly reason: string;
  readonly by: string;
  readonly at: string;
  /**
   * The deciders the worker verified (an ARN, or `<label> (unverified)`). A containment playbook honours only an
   * exemption with two distinct ones (docs/architecture.md, Trust model). Absent in state from before: `[by]`.
   */
  readonly approvedBy?: readonly string[];
}

/** The deciders of an exemption. */
export function approversOf(exemption: Exemption): readonly string[] {
  return exemption.approvedBy ?? [exemption.by];
}

/** A pause of new remediations: every playbook and account unless narrowed. */
export interface Pause {
  readonly playbook?: string;
  readonly account?: string;
  readonly reason: string;
  readonly by: string;
  readonly at: string;
}

/** A remediation admitted to change a resource, remembered for the breaker and flap windows. */
export interface Admission {
  readonly resourceKey: string;
  readonly playbook: string;
  readonly account: string;
  readonly at: string;
}

/** Everything the control workflow keeps; carried over continue-as-new. */
export interface ControlState {
  readonly exemptions: readonly Exemption[];
  readonly pauses: readonly Pause[];
  readonly admissions: readonly Admission[];
  /**
   * How long admissions are kept: the longest breaker or flap window any admission asked to be counted within.
   * Absent in state from before it existed (kept as long as the longest window the policy schema allows then).
   */
  readonly retainMs?: number;
}

/** An empty control plane. */
export const EMPTY_CONTROL_STATE: ControlState = { exemptions: [], pauses: [], admissions: [] };

/** What a remediation asks before its first change. */
export interface AdmissionRequest {
  readonly workflowId: string;
  readonly resource: ResourceRef;
  readonly playbook: string;
  readonly breaker?: WindowLimit;
  readonly flapping?: WindowLimit;
}

/** The control plane's answer. */
export type AdmissionDecision =
  | { readonly decision: 'proceed' }
  | { readonly decision: 'exempt'; readonly reason: string }
  | { readonly decision: 'paused'; readonly reason: string }
  | { readonly decision: 'flapping'; readonly reason: string }
  /** The resource carries the protected tag: never changed automatically (decided by the worker, not the plane). */
  | { readonly decision: 'protected'; readonly reason: string }
  | {
      readonly decision: 'approve';
      readonly reason: string;
      /** The first admission over the limit in this window: on-call is paged once per trip, not once per hold. */
      readonly firstOverLimit: boolean;
    };

/** The key a resource is exempted and counted by: `<account>/<region>/<resourceType>/<resourceId>`. */
export function resourceKey(r: ResourceRef): string {
  return `${r.account}/${r.region}/${r.resourceType}/${r.resourceId}`;
}

/** Glob match with `*` for any run of characters; everything else literal. */
export function globMatches(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`).test(value);
}

/** Drops what has expired or left every window, so the state stays small. */
export function pruned(state: ControlState, now: Date, longestWindowMs: number): ControlState {
  const t = now.getTime();
  const keepMs = Math.min(state.retainMs ?? longestWindowMs, longestWindowMs);
  return {
    exemptions: state.exemptions.filter((e) => Date.parse(e.until) > t),
    pauses: state.pauses,
    admissions: state.admissions.filter((a) => t - Date.parse(a.at) < keepMs),
    ...(state.retainMs !== undefined ? { retainMs: state.retainMs } : {}),
  };
}

/** The pause that holds this playbook in this account, if any. */
export function pauseFor(state: ControlState, playbook: string, account: string): Pause | undefined {
  return state.pauses.find(
    (p) =>
      (p.playbook === undefined || p.playbook === playbook) &&
      (p.account === undefined || p.account === account),
  );
}

/**
 * Decides one admission and returns the state after it. Exempt and paused remediations are not counted; flapping
 * ones are not either (they escalate); everything else under a breaker or flap limit is counted, including those the
 * breaker sends to approval, so the count is of remediations that asked to change something. Admissions without a
 * limit are not recorded: nothing would read them.
 */
export function admit(
  state: ControlState,
  request: AdmissionRequest,
  now: Date,
): { decision: AdmissionDecision; state: ControlState } {
  const key = resourceKey(request.resource);
  const t = now.getTime();
  // Exempting a containment takes two people: a single operator must not be able to keep a compromise running.
  const containment = PLAYBOOKS[request.playbook as keyof typeof PLAYBOOKS]?.kind === 'containment';
  const exemption = state.exemptions.find(
    (e) =>
      globMatches(e.resource, key) &&
      Date.parse(e.until) > t &&
      (!containment || new Set(approversOf(e)).size >= 2),
  );
  if (exemption) {
    return {
      decision: {
        decision: 'exempt',
        reason: `exempted by ${exemption.by} until ${exemption.until}: ${exemption.reason}`,
      },
      state,
    };
  }
  const pause = pauseFor(state, request.playbook, request.resource.account);
  if (pause) {
    const scope = `${pause.playbook ?? 'every playbook'} in ${pause.account ?? 'every account'}`;
    return {
      decision: { decision: 'paused', reason: `paused (${scope}) by ${pause.by}: ${pause.reason}` },
      state,
    };
  }
  const within = (a: Admission, limit: WindowLimit) => t - Date.parse(a.at) < limit.windowMs;
  if (request.flapping) {
    const limit = request.flapping;
    const times = state.admissions.filter((a) => a.resourceKey === key && within(a, limit)).length;
    if (times >= limit.maxPerWindow) {
      return {
        decision: {
          decision: 'flapping',
          reason: `remediated ${times} times within ${Math.round(limit.windowMs / 60_000)} min: something keeps undoing the fix`,
        },
        state,
      };
    }
  }
  const admission: Admission = {
    resourceKey: key,
    playbook: request.playbook,
    account: request.resource.account,
    at: now.toISOString(),
  };
  // Only admissions under a limit are counted, and only for as long as the longest limit asks: the state (carried by
  // continue-as-new, a payload) stays small however many remediations run without one.
  const windowMs = Math.max(request.breaker?.windowMs ?? 0, request.flapping?.windowMs ?? 0);
  const next: ControlState =
    windowMs > 0
      ? {
          ...state,
          admissions: [...state.admissions, admission],
          retainMs: Math.max(state.retainMs ?? 0, windowMs),
        }
      : state;
  if (request.breaker) {
    const limit = request.breaker;
    const recent = state.admissions.filter(
      (a) => a.playbook === request.playbook && a.account === request.resource.account && within(a, limit),
    ).length;
    if (recent >= limit.maxPerWindow) {
      return {
        decision: {
          decision: 'approve',
          reason: `breaker: ${recent + 1} new ${request.playbook} remediations in account ${request.resource.account} within ${Math.round(limit.windowMs / 60_000)} min (limit ${limit.maxPerWindow})`,
          firstOverLimit: recent === limit.maxPerWindow,
        },
        state: next,
      };
    }
  }
  return { decision: { decision: 'proceed' }, state: next };
}

/** Tags that say a resource is managed by infrastructure as code, and by what (for flapping escalations). */
export function managedBy(tags: Readonly<Record<string, string>>): string | undefined {
  const stack = tags['aws:cloudformation:stack-name'];
  if (stack) return `CloudFormation stack ${stack}`;
  const entry = Object.entries(tags).find(([k]) =>
    /^(managed[-_]?by|terraform.*|tf[-_:].*|pulumi:.*|aws:cdk:.*)$/i.test(k),
  );
  return entry ? `${entry[0]}=${entry[1]}` : undefined;
}

/** The default exemption tag. */
export const DEFAULT_EXEMPTION_TAG = 'remediator:exempt';

/** Why the policy's allow-lists exempt this resource, if they do. */
export function allowListExemption(
  exemptions: ExemptionSettings | undefined,
  resource: ResourceRef,
): string | undefined {
  if (exemptions?.accounts?.includes(resource.account)) {
    return `account ${resource.account} is on the policy's exemption list`;
  }
  const pattern = exemptions?.resources?.find((p) => globMatches(p, resource.resourceId));
  return pattern ? `${resource.resourceId} matches the policy's exemption list (${pattern})` : undefined;
}
