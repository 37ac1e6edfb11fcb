/**
 * Policy types shared by the loader, the router and the workflow. The workflow receives a resolved snapshot in its
 * input, so an execution keeps the policy it started with even when the file changes underneath it.
 */
import type { FindingSource } from './finding';

/** Temporal retry settings for a playbook's activities, in milliseconds. */
export interface RetrySettings {
  readonly initialIntervalMs: number;
  readonly backoffCoefficient: number;
  /** Total attempts including the first (the seed's `MaxAttempts: 3` retries ⇒ 4). */
  readonly maximumAttempts: number;
  readonly maximumIntervalMs: number;
}

/**
 * `auto` applies the fix; `approve` waits for an operator's decision before applying; `notify` tells people what is
 * wrong and what the fix would be, and changes nothing; `dryRun` records the plan (every call it would make), notifies
 * it, and changes nothing.
 */
export type RemediationMode = 'auto' | 'approve' | 'notify' | 'dryRun';

/** What a failed verification leads to: a human (`escalate`), or undoing the change from the prior state. */
export type VerifyFailureAction = 'escalate' | 'rollback';

/** Resources a playbook leaves alone (recorded as `EXEMPT` and notified). */
export interface ExemptionSettings {
  /**
   * A tag whose presence exempts the resource (default `remediator:exempt`). Ignored for containment playbooks: a
   * compromised principal can write tags.
   */
  readonly tagKey?: string;
  /** Resource ids never remediated; `*` matches any run of characters (`legacy-*`). */
  readonly resources?: readonly string[];
  /** Accounts never remediated. */
  readonly accounts?: readonly string[];
}

/** Alarms watched after a verified change: going to ALARM within the bake time means the change hurt. */
export interface HealthGuardSettings {
  readonly alarms: readonly string[];
  readonly bakeTimeMs: number;
}

/** A count within a sliding window: the blast-radius breaker and flap detection. */
export interface WindowLimit {
  readonly maxPerWindow: number;
  readonly windowMs: number;
}

/** How one playbook runs. */
export interface PlaybookSettings {
  readonly mode: RemediationMode;
  /** Durable wait between the change and the independent verification. */
  readonly propagationWaitMs: number;
  /** Start-to-close timeout of each AWS activity. */
  readonly activityTimeoutMs: number;
  readonly retry: RetrySettings;
  /**
   * How long a remediation waits for approval before escalating (`approve` mode, or when the analysis asks for
   * approval). Unset, the workflow waits `DEFAULT_APPROVAL_TIMEOUT_MS`.
   */
  readonly approvalTimeoutMs?: number;
  /** Findings below this severity (0–10) are acknowledged, not remediated. */
  readonly minSeverity?: number;
  readonly exemptions?: ExemptionSettings;
  /** Default `escalate`; `rollback` only for availability playbooks unless `allowSecurityRollback`. */
  readonly onVerifyFailure?: VerifyFailureAction;
  /** Lets a security fix roll back by itself (off by default: an attacker could trip the guard). */
  readonly allowSecurityRollback?: boolean;
  readonly healthGuard?: HealthGuardSettings;
  /** More than this many new remediations of the playbook in one account within the window need approval. */
  readonly breaker?: WindowLimit;
  /** A resource remediated this often within the window is escalated instead (something keeps undoing the fix). */
  readonly flapping?: WindowLimit;
  /** Playbook-specific switches (e.g. `stopStartWithoutRecoverAction`), handed to its activities. */
  readonly options?: Readonly<Record<string, string | number | boolean>>;
}

/** How long a remediation waits for approval when the policy does not say: a working day and a night. */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 24 * 3600 * 1000;

/** Which findings a playbook handles: a detector and the controls (rule names, control ids) it covers. */
export interface Route {
  readonly source: FindingSource;
  /** Rule names, control ids or GuardDuty types; `*` matches any run of characters (`UnauthorizedAccess:EC2/*`). */
  readonly controls: readonly string[];
  readonly playbook: string;
  /** Findings below this severity (0–10) are acknowledged, not remediated (GuardDuty: the seed's 7). */
  readonly minSeverity?: number;
  /** Only findings about this resource type (e.g. a CPU alarm on an Auto Scaling group, not on an instance). */
  readonly resourceType?: string;
}

/** The role the worker assumes in member accounts: `arn:aws:iam::<account>:role/<roleName>`. */
export interface CrossAccountSettings {
  readonly roleName: string;
  /** Required by the member role's trust policy (confused-deputy protection). */
  readonly externalId?: string;
  readonly sessionDurationSeconds?: number;
}

/** The whole policy as loaded from `REMEDIATION_POLICY` or the built-in default. */
export interface RemediationPolicy {
  readonly version: 1;
  /** How long an execution stays open after its last outcome to absorb repeats. */
  readonly cooldownMs: number;
  readonly routes: readonly Route[];
  readonly defaults: PlaybookSettings;
  readonly playbooks: Readonly<Partial<Record<string, Partial<PlaybookSettings>>>>;
  /** Overrides per control (rule name, control id, GuardDuty type), over the playbook's settings. */
  readonly controls?: Readonly<Record<string, Partial<PlaybookSettings>>>;
  /** How to reach accounts other than the worker's own. */
  readonly crossAccount?: CrossAccountSettings;
}

/** The part of the policy one execution needs, resolved per playbook. Travels in the workflow input. */
export interface ExecutionSettings {
  readonly cooldownMs: number;
  readonly playbooks: Readonly<Record<string, PlaybookSettings>>;
  /** Per-control overrides, applied over the playbook's settings by `settingsFor`. */
  readonly controls?: Readonly<Record<string, Partial<PlaybookSettings>>>;
}

/** One playbook's settings with the overrides of the finding's control (and its managed rule) applied. */
export function settingsFor(
  settings: ExecutionSettings,
  playbook: string,
  control: string,
  managedControl?: string,
): PlaybookSettings | undefined {
  const base = settings.playbooks[playbook];
  if (!base) return undefined;
  const override =
    settings.controls?.[control] ?? (managedControl ? settings.controls?.[managedControl] : undefined);
  return override ? mergeSettings(base, override) : base;
}

function mergeSettings(base: PlaybookSettings, override: Partial<PlaybookSettings>): PlaybookSettings {
  return { ...base, ...override, retry: { ...base.retry, ...(override.retry ?? {}) } };
}

/** Resolves per-playbook overrides over the defaults for every playbook id given. */
export function resolveExecutionSettings(
  policy: RemediationPolicy,
  playbookIds: readonly string[],
): ExecutionSettings {
  const playbooks: Record<string, PlaybookSettings> = {};
  for (const id of playbookIds) playbooks[id] = mergeSettings(policy.defaults, policy.playbooks[id] ?? {});
  return {
    cooldownMs: policy.cooldownMs,
    playbooks,
    ...(policy.controls && Object.keys(policy.controls).length > 0 ? { controls: policy.controls } : {}),
  };
}
