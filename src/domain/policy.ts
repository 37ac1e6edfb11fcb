/**
 * Policy types shared by the loader, the router, the activities and the workflow. The worker loads the policy itself;
 * a workflow asks the worker for the settings it needs (an activity, recorded in its history), never takes them from
 * its input (docs/architecture.md, Trust model).
 */
import { shapeFrom } from './playbooks';
import type { PlaybookShape } from './playbooks';
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
  /**
   * How long the independent verification may keep reading the fix back, from its first read (which comes at once):
   * the window ends early at the first read that passes (docs/architecture.md, Verification).
   */
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
  /**
   * Whether the resource's exemption tag exempts it. Default: yes for configuration and availability playbooks, no
   * for containment (a compromised principal can write tags).
   */
  readonly allowTagExemption?: boolean;
  /**
   * Containment playbooks: how long one step keeps retrying (throttling, a lost worker) before it escalates;
   * default 30 minutes. Other playbooks use `retry`.
   */
  readonly containmentDeadlineMs?: number;
  /** Playbook-specific switches (e.g. `stopStartWithoutRecoverAction`), handed to its activities. */
  readonly options?: Readonly<Record<string, string | number | boolean>>;
  /**
   * Set by the worker from its catalogue, never by a policy file: how the playbook fails and rolls back, and its
   * steps. Workflows go by it, so a playbook their code was not built with runs all the same.
   */
  readonly shape?: PlaybookShape;
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
  /**
   * Also route what each kit playbook declares it fixes (its Config rules, Security Hub controls, GuardDuty types,
   * alarm metrics), after `routes` (which therefore win). Default true; false routes only what `routes` lists.
   */
  readonly routeDeclaredTriggers?: boolean;
  /**
   * Modules with more playbooks written with the kit, relative to the policy file (docs/architecture.md, User
   * playbooks): loaded at start-up, before the rest of the policy is checked, so routes and settings may name them.
   */
  readonly playbookModules?: readonly string[];
  readonly defaults: PlaybookSettings;
  readonly playbooks: Readonly<Partial<Record<string, Partial<PlaybookSettings>>>>;
  /** Overrides per control (rule name, control id, GuardDuty type), over the playbook's settings. */
  readonly controls?: Readonly<Record<string, Partial<PlaybookSettings>>>;
  /** How to reach accounts other than the worker's own. */
  readonly crossAccount?: CrossAccountSettings;
  /** Whom and what the worker trusts; defaults in `DEFAULT_TRUST`. */
  readonly trust?: Partial<TrustSettings>;
}

/** The part of the policy one execution needs, resolved per playbook. The worker hands it to the workflow. */
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

/** How careful each mode is: the higher, the less it changes by itself. */
const CARE: Readonly<Record<RemediationMode, number>> = { auto: 0, approve: 1, notify: 2, dryRun: 3 };

/** The more careful of two modes. */
export function moreCareful(a: RemediationMode, b: RemediationMode): RemediationMode {
  return CARE[b] > CARE[a] ? b : a;
}

/** One playbook's settings: its overrides in the policy over the policy's defaults (no control overrides, no shape). */
export function resolvePlaybookSettings(policy: RemediationPolicy, playbook: string): PlaybookSettings {
  return mergeSettings(policy.defaults, policy.playbooks[playbook] ?? {});
}

/** Resolves per-playbook overrides over the defaults for every playbook of the worker's catalogue, with its shape. */
export function resolveExecutionSettings(
  policy: RemediationPolicy,
  catalogue: Readonly<Record<string, PlaybookShape & { readonly defaultMode?: RemediationMode }>>,
): ExecutionSettings {
  const playbooks: Record<string, PlaybookSettings> = {};
  for (const [id, { kind, steps, defaultMode }] of Object.entries(catalogue)) {
    const shape = shapeFrom({ kind, steps });
    const resolved = resolvePlaybookSettings(policy, id);
    // A playbook that can break a workload asks for approval unless the policy names its mode: the policy's
    // defaults only make it more careful (notify, dry run), never less.
    const mode =
      policy.playbooks[id]?.mode ?? (defaultMode ? moreCareful(resolved.mode, defaultMode) : resolved.mode);
    playbooks[id] = { ...resolved, mode, shape };
  }
  return {
    cooldownMs: policy.cooldownMs,
    playbooks,
    ...(policy.controls && Object.keys(policy.controls).length > 0 ? { controls: policy.controls } : {}),
  };
}

/**
 * What the worker trusts and whom it serves (docs/architecture.md, Trust model). Read only from the worker's own
 * policy file, never from a workflow input: a queue message, an input, a signal or an update is a request.
 */
export interface TrustSettings {
  /**
   * Accounts the worker acts in. `self` stands for the worker's own account (from STS at start). Default `['self']`.
   */
  readonly accounts: readonly string[];
  /** Regions the worker acts in (`global` is IAM's); absent ⇒ any region. */
  readonly regions?: readonly string[];
  /**
   * Delegated administrator accounts whose EventBridge bus carries GuardDuty and Security Hub findings of member
   * accounts: the only envelopes whose account may differ from the finding's.
   */
  readonly delegatedAdminAccounts: readonly string[];
  /** Events older than this are acknowledged with a reason, not remediated. Default 7 days. */
  readonly maxEventAgeMs: number;
  /** Ask the detector whether the finding is real before any change (default on). */
  readonly confirmAtSource: boolean;
  /**
   * Principals (role or user names, `*` globs) a remediation never changes automatically: a finding naming one is
   * escalated with a ticket and a page. Matched against the IAM user or role name the finding's resource belongs to.
   */
  readonly protectedPrincipals: readonly string[];
  /** A resource carrying this tag is never changed automatically. Default `remediator:protected`. */
  readonly protectedTagKey: string;
  /**
   * Who may decide (approve, reject, roll back, exempt, pause, resume): ARN globs of AWS-verified identities, per
   * playbook id or `*` for the rest. `self` in an ARN stands for the worker's own account.
   */
  readonly approvers: Readonly<Partial<Record<string, readonly string[]>>>;
  /** Accept decisions without an AWS-verified identity (the Web UI's signal, the local stack). Default off. */
  readonly allowUnsignedDecisions: boolean;
}

/** The protected principals every deployment starts from (the remediator's own roles are added at start). */
export const DEFAULT_PROTECTED_PRINCIPALS: readonly string[] = [
  'OrganizationAccountAccessRole',
  'AWSReservedSSO_*',
  'AWSControlTower*',
  'stacksets-exec-*',
  'remediator-*',
];

/** The tag that keeps a resource out of automatic changes. */
export const DEFAULT_PROTECTED_TAG = 'remediator:protected';

/** Trust settings when the policy says nothing: fail closed (own account only, confirmed findings, signed decisions). */
export const DEFAULT_TRUST: TrustSettings = {
  accounts: ['self'],
  delegatedAdminAccounts: [],
  maxEventAgeMs: 7 * 24 * 3600 * 1000,
  confirmAtSource: true,
  protectedPrincipals: DEFAULT_PROTECTED_PRINCIPALS,
  protectedTagKey: DEFAULT_PROTECTED_TAG,
  approvers: { '*': ['arn:aws:iam::self:*', 'arn:aws:sts::self:assumed-role/*'] },
  allowUnsignedDecisions: false,
};

/** The trust settings with `self` replaced by the worker's account: what checks compare against. */
export interface ResolvedTrust extends TrustSettings {
  /** The worker's own account (STS GetCallerIdentity at start). */
  readonly selfAccount: string;
}

/** Replaces `self` in the account list and approver ARNs with the worker's account. */
export function resolveTrust(trust: TrustSettings, selfAccount: string): ResolvedTrust {
  const self = (s: string) => (s === 'self' ? selfAccount : s);
  const approvers: Record<string, readonly string[]> = {};
  for (const [key, patterns] of Object.entries(trust.approvers)) {
    if (patterns) approvers[key] = patterns.map((p) => p.replace(/::self:/, `::${selfAccount}:`));
  }
  return { ...trust, accounts: trust.accounts.map(self), approvers, selfAccount };
}

/** Why the account or region is outside what the worker serves, or `undefined` when it is inside. */
export function scopeProblem(
  trust: Pick<ResolvedTrust, 'accounts' | 'regions'>,
  resource: { readonly account: string; readonly region: string },
): string | undefined {
  if (!trust.accounts.includes('*') && !trust.accounts.includes(resource.account)) {
    return `account ${resource.account} is not one the remediator serves (policy trust.accounts)`;
  }
  if (trust.regions && resource.region !== 'global' && !trust.regions.includes(resource.region)) {
    return `region ${resource.region} is not one the remediator serves (policy trust.regions)`;
  }
  return undefined;
}

/** The policy as one worker holds it: its version (a digest of its content), settings and trust. */
export interface WorkerPolicy {
  readonly version: string;
  readonly settings: ExecutionSettings;
  readonly trust: ResolvedTrust;
}
