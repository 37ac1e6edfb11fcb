/**
 * The playbook kit (docs/architecture.md, Playbook kit): one declaration says everything about a playbook — what it
 * is, what routes to it, what it may call, and its steps with their plan, apply, verify and undo side by side over
 * one typed state. `kitHandler` turns a declaration into the activity-side `PlaybookHandler` the workflow drives.
 *
 * The state is what the playbook reads of the resource; it is the analysis' observation, the recorded prior state
 * and the state after the fix, checked against `state` (a zod schema) wherever it comes back from history.
 */
import type { z } from 'zod';
import type { Finding, ResourceRef } from '../domain/finding';
import type { PlaybookKind, StepFailureMode } from '../domain/playbooks';
import type { RemediationMode } from '../domain/policy';
import type { RoleFamily } from '../domain/role-families';
import type { VerifyBackoff } from '../activities/verification-polling';

/** What the SDK client constructors the kit hands out are built with. */
export interface KitClientConfig {
  region: string;
  maxAttempts: number;
  endpoint?: string;
}

/** Any AWS SDK v3 client class. */
export type SdkClientClass<C> = new (config: KitClientConfig) => C;

/**
 * Which call of a remediation the kit is making: the analysis, recording the prior state, a step's apply or undo
 * (with the fresh read before it), or the verification.
 */
export type KitPhase = 'analyse' | 'record' | 'apply' | 'undo' | 'verify';

/** What every read, apply and undo gets: the resource, the policy's options, clients, the cancellation signal. */
export interface KitIo {
  /**
   * Which call this is. A read may leave out what only the analysis, the record and verification need (the isolation
   * playbook's target group registrations, which its steps take from the recorded prior state), to keep the reads
   * before each step quick.
   */
  readonly phase: KitPhase;
  readonly finding: Finding;
  readonly resource: ResourceRef;
  /** The playbook's options from the execution's policy snapshot (never from the finding). */
  readonly options: Readonly<Record<string, string | number | boolean>>;
  /** Pass to every SDK call as `{ abortSignal }`: a cancelled activity stops its calls. */
  readonly abortSignal?: AbortSignal;
  /**
   * When this attempt's time is up (epoch ms), if it has a limit: work that must not be cut half-way starts only with
   * time left for it, and waits (an instance stopping) end before it.
   */
  readonly deadline?: number;
  /** A client for the resource's account and region, with the playbook family's role in other accounts. */
  client<C extends { destroy(): void }>(make: SdkClientClass<C>): C;
  /**
   * The same, with the role of the family the playbook `borrows` (the isolation playbook's optional stop goes through
   * the availability role, the only one that may stop an instance). Fails for a playbook that borrows none.
   */
  borrowedClient<C extends { destroy(): void }>(make: SdkClientClass<C>): C;
}

/** What an apply or undo did: `changed: false` when the resource already was as wanted (an idempotent re-run). */
export interface KitChange {
  readonly changed: boolean;
  readonly detail: string;
  /**
   * What the step could not do although it did enough to go on (an isolation without untracking, a temporary group
   * left behind): recorded like a failed best-effort step and escalated once the rest is verified.
   */
  readonly unfinished?: string;
}

/** One step: its plan, change, check and undo side by side, all over the playbook's state `S`. */
export interface KitStep<S> {
  readonly id: string;
  readonly title: string;
  /** What a failure means for the steps already done (docs/architecture.md, Prior state and rollback). */
  readonly onFailure: StepFailureMode;
  /** What the step would change in words (the AWS call), or `undefined` when `state` needs nothing from it. */
  plan(state: S, io: KitIo): string | undefined;
  /**
   * Whether the change is still to be made, judged on a fresh read just before `apply` (and `prior`, the state the
   * remediation started from). Default: `plan(current)` says something. Give it when the plan describes a sequence
   * the state alone cannot tell apart (raise a capacity by one: planned while under load, needed until it is one
   * more than `prior`'s).
   */
  needed?(current: S, prior: S, io: KitIo): boolean;
  /** Makes the change. Called only when a fresh read still needs it; must be safe to repeat after a timeout. */
  apply(io: KitIo, current: S, prior: S): Promise<KitChange>;
  /** Restores what `apply` changed, from the recorded `prior`; `current` is a fresh read. Idempotent. */
  undo(io: KitIo, prior: S, current: S): Promise<KitChange>;
}

/** A Config managed rule a playbook fixes what it reports. */
export interface KitConfigRule {
  /** The managed rule's `Source.SourceIdentifier` (`CMK_BACKING_KEY_ROTATION_ENABLED`). */
  readonly identifier: string;
  /** Evaluated on a schedule (account-level settings), not on configuration changes. */
  readonly periodic?: boolean;
}

/** Detector identifiers that route findings to a playbook. */
export interface KitTriggers {
  /**
   * AWS Config managed rules, by the name the console gives them (`cmk-backing-key-rotation-enabled`): the managed
   * rule's source identifier, and whether it runs periodically (account settings) rather than on changes. A rule
   * deployed under another name (Security Hub's `securityhub-…-1a2b3c`, a conformance pack's) routes by the identifier.
   */
  readonly configRules?: Readonly<Record<string, KitConfigRule>>;
  /** Security Hub control ids (`S3.1`, `EC2.7`). */
  readonly securityHubControls?: readonly string[];
  /** GuardDuty finding types, `*` as the last character matching a family (`UnauthorizedAccess:EC2/*`). */
  readonly guardDutyTypes?: readonly string[];
  /**
   * The least GuardDuty severity acted on (default 7, "high"): lower for findings that are a fix whatever GuardDuty
   * rates them (a bucket's Block Public Access turned off is rated low).
   */
  readonly guardDutyMinSeverity?: number;
  /** CloudWatch alarm metrics as `Namespace/MetricName`. */
  readonly alarmMetrics?: readonly string[];
}

/** A whole playbook. `S` is its state, `Id` its id (a literal type, so the registry is checked). */
export interface KitPlaybook<S extends Record<string, unknown>, Id extends string = string> {
  readonly id: Id;
  readonly title: string;
  /** Risk class: how it fails and rolls back (configuration fix, containment, availability). */
  readonly kind: PlaybookKind;
  /** The mode when the policy names none: `approve` where a fix can break a workload. */
  readonly defaultMode: RemediationMode;
  /** Whose role in the resource's account the calls use (docs/deployment.md, Roles per playbook family). */
  readonly roleFamily: RoleFamily;
  /** The resource type it acts on and the shape of the ids it accepts (checked at the ingest boundary). */
  readonly resource: {
    readonly type: string;
    readonly idPattern: RegExp;
    /** Security Hub's name for the type (`AwsKmsKey`), when Security Hub controls route here. */
    readonly securityHubType?: string;
  };
  /** Severity for search and escalation when the detector reports none (Config). */
  readonly defaultSeverity: number;
  readonly triggers: KitTriggers;
  /** Every IAM action its calls need, reads included (the member role's grants are derived from these). */
  readonly iamActions: readonly string[];
  /**
   * Calls it makes with another family's role (`io.borrowedClient`): those `actions` are granted to that family's
   * role, never to its own (ec2-isolate-instance stops an instance through the availability role).
   */
  readonly borrows?: { readonly family: RoleFamily; readonly actions: readonly string[] };
  /**
   * Service principals it hands a role to (`vpc-flow-logs.amazonaws.com` for a flow log's delivery role): its role
   * may `iam:PassRole`, but only to these services (condition `iam:PassedToService`), never as an open grant.
   */
  readonly passesRoleTo?: readonly string[];
  /**
   * IAM actions AWS checks beyond its commands' own (`logs:CreateLogDelivery` when `CreateFlowLogs` delivers to S3):
   * granted with its statement, not commands it sends.
   */
  readonly dependentActions?: readonly string[];
  /**
   * Tags it writes as a record of what it did (a stop made for a finding, the isolation group's purpose): each grant's
   * tagging `actions` (`ec2:CreateTags`, `ec2:DeleteTags`) are allowed only for requests that name tag keys, all of
   * them among its `keys`. Name for deletion only the keys it removes again.
   */
  readonly tags?: readonly { readonly actions: readonly string[]; readonly keys: readonly string[] }[];
  /**
   * The state's schema: what history gives back is checked against it, never cast. Keep what AWS changes by itself
   * (an alarm's state, status checks) under the key `State`: a rollback compares the rest with the recorded prior
   * state, and that key never.
   */
  readonly state: z.ZodType<S>;
  /** Reads the resource: its state, or `undefined` when it is gone. Read-only. */
  read(io: KitIo): Promise<S | undefined>;
  /**
   * Containment only: what verification puts right when its fresh read finds the containment undone by someone (an
   * isolation group given rules), before it fails all the same (the resource was exposed for a while, which a person
   * must know). Returns what it repaired, nothing when all was in place.
   */
  repairOnVerify?(io: KitIo, state: S): Promise<readonly string[]>;
  /** A reason a person must approve this fix first (it can break a workload), or `undefined`. */
  needsApproval?(state: S, io: KitIo): string | undefined;
  /** A reason this resource must not be changed automatically at all (escalated), or `undefined`. */
  cannotFix?(state: S, io: KitIo): string | undefined;
  /** Says what the state is, for reasons and verification details (`rotation off`, `Block Public Access on`). */
  describe(state: S): string;
  /**
   * Whether there is nothing to do: the analysis ends with `NO_ACTION`. Default: no step plans anything. Give it when
   * the goal is not a setting the steps make (an alarm back to OK): the steps then say only how to get there, and
   * an empty plan is a remediation that verification watches (the alarm's own scaling action at work).
   */
  compliant?(state: S, io: KitIo): boolean;
  /**
   * What verification still finds wrong on its fresh read, or `undefined` when the fix holds. Default: the plans
   * still left (or, with `compliant`, the state when it is not). Give it when a fix is done only once AWS has
   * applied it (metadata options `applied`, not `pending`).
   */
  stillWrong?(state: S, io: KitIo): string | undefined;
  /**
   * How far apart verification reads back within its window (docs/architecture.md, Verification). Default 1 s,
   * doubling, at most 10 s apart: a setting reads back within a second or two. Give a slower one when the fix waits on
   * the world (an alarm back to OK, status checks passing), which takes minutes and is judged once a minute.
   */
  readonly verifyBackoff?: VerifyBackoff;
  /**
   * Every step, in the order they run; compliance is "no step plans anything". None at all: the playbook only hands
   * the finding to people (its `cannotFix` says why: a ticket and a page), for findings nothing can fix safely.
   */
  readonly steps: readonly KitStep<S>[];
}

/**
 * Declares a playbook. Only a typing aid: it returns its argument, with `S` inferred from `state` so that every
 * step's `prior` and `current` are typed without a cast.
 */
export function definePlaybook<S extends Record<string, unknown>, const Id extends string>(
  playbook: KitPlaybook<S, Id>,
): KitPlaybook<S, Id> {
  const ids = playbook.steps.map((s) => s.id);
  const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (repeated.length > 0) throw new Error(`Playbook ${playbook.id} repeats step(s) ${repeated.join(', ')}`);
  if (playbook.steps.length === 0 && !playbook.cannotFix) {
    throw new Error(`Playbook ${playbook.id} has no steps: it must say why a person must act (cannotFix)`);
  }
  if (playbook.repairOnVerify && playbook.kind !== 'containment') {
    throw new Error(`Playbook ${playbook.id} repairs on verification but is not containment`);
  }
  const backoff = playbook.verifyBackoff;
  if (backoff && !(backoff.firstIntervalMs >= 100 && backoff.maximumIntervalMs >= backoff.firstIntervalMs)) {
    throw new Error(
      `Playbook ${playbook.id} verifyBackoff: firstIntervalMs must be at least 100 and maximumIntervalMs at least that`,
    );
  }
  return playbook;
}

/** A declaration of any state type, as registries hold them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each entry is checked by its own definePlaybook
export type AnyKitPlaybook = KitPlaybook<any>;
