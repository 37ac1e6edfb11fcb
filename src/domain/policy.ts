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
 * `auto` applies the fix; `approve` waits for an operator's decision before applying; `dryRun` records the plan and
 * changes nothing.
 */
export type RemediationMode = 'auto' | 'approve' | 'dryRun';

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
   * approval). Optional so executions started before it existed keep their input; the workflow defaults it.
   */
  readonly approvalTimeoutMs?: number;
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

/** The whole policy as loaded from `REMEDIATION_POLICY` or the built-in default. */
export interface RemediationPolicy {
  readonly version: 1;
  /** How long an execution stays open after its last outcome to absorb repeats. */
  readonly cooldownMs: number;
  readonly routes: readonly Route[];
  readonly defaults: PlaybookSettings;
  readonly playbooks: Readonly<Record<string, Partial<PlaybookSettings>>>;
}

/** The part of the policy one execution needs, resolved per playbook. Travels in the workflow input. */
export interface ExecutionSettings {
  readonly cooldownMs: number;
  readonly playbooks: Readonly<Record<string, PlaybookSettings>>;
}

/** Resolves per-playbook overrides over the defaults for every playbook id given. */
export function resolveExecutionSettings(
  policy: RemediationPolicy,
  playbookIds: readonly string[],
): ExecutionSettings {
  const playbooks: Record<string, PlaybookSettings> = {};
  for (const id of playbookIds) {
    const override = policy.playbooks[id] ?? {};
    playbooks[id] = {
      ...policy.defaults,
      ...override,
      retry: { ...policy.defaults.retry, ...(override.retry ?? {}) },
    };
  }
  return { cooldownMs: policy.cooldownMs, playbooks };
}
