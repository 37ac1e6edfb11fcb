/**
 * The playbook catalogue: what each playbook is, in workflow-safe terms. The AWS calls live in `src/activities`.
 */

import type { RemediationMode } from './policy';
import type { RoleFamily } from './role-families';

/**
 * How a playbook fails and rolls back (docs/architecture.md, Prior state and rollback): configuration fixes
 * compensate completed steps when a later one fails; containment fails closed (keeps what was done); availability
 * playbooks may roll back by themselves.
 */
export type PlaybookKind = 'configuration' | 'containment' | 'availability';

/**
 * What a step's failure means for the steps already done: `compensate` restores them from the recorded prior state
 * (configuration fixes); `fail-closed` keeps them (containment: a half-isolated instance beats an open one);
 * `best-effort` keeps them and goes on with the next step, the failure recorded and escalated once the rest is
 * verified (evidence and clean-up after containment: a snapshot quota must never keep an instance on the network).
 */
export type StepFailureMode = 'compensate' | 'fail-closed' | 'best-effort';

/** One ordered step of a playbook. The analysis decides which steps apply to a resource; the order is fixed here. */
export interface PlaybookStep {
  readonly id: string;
  readonly title: string;
  readonly onFailure: StepFailureMode;
}

/** Catalogue entry for one playbook. */
export interface PlaybookDefinition {
  readonly id: string;
  readonly title: string;
  readonly kind: PlaybookKind;
  /** Whose role in the resource's account its AWS calls use (docs/deployment.md, Roles per playbook family). */
  readonly roleFamily: RoleFamily;
  /** Resource types this playbook acts on. */
  readonly resourceTypes: readonly string[];
  /** Severity used for search and escalation when the detector reports none (Config). */
  readonly defaultSeverity: number;
  /** Every step the playbook can take, in the order it takes them. */
  readonly steps: readonly PlaybookStep[];
  /** The mode when the policy names none for it (`approve` where a fix can break a workload); unset: the policy's. */
  readonly defaultMode?: RemediationMode;
}

/**
 * What a workflow needs to know of a playbook: how it fails and rolls back, and its steps in order with what a
 * step's failure means. The worker sends it with its settings (`PlaybookSettings.shape`), so that a playbook this
 * workflow code was not built with (one written with the kit, or loaded from the policy's path) runs all the same.
 */
export interface PlaybookShape {
  readonly kind: PlaybookKind;
  readonly steps: readonly Pick<PlaybookStep, 'id' | 'onFailure'>[];
}

/**
 * The eight playbooks written before the kit, as they were then. Each is a kit declaration now (`src/playbooks/`,
 * docs/architecture.md, Playbook kit); these entries stay for workflows replaying histories recorded before the worker
 * sent shapes with its settings, which read their shapes here. A test keeps each equal to its declaration.
 */
export const PLAYBOOKS = {
  's3-block-public-access': {
    id: 's3-block-public-access',
    title: 'Block S3 public access',
    kind: 'configuration',
    roleFamily: 'configuration',
    resourceTypes: ['AWS::S3::Bucket'],
    defaultSeverity: 7,
    steps: [
      {
        id: 'put-public-access-block',
        title: 'Turn on all four Block Public Access settings',
        onFailure: 'compensate',
      },
    ],
  },
  'ebs-encryption-by-default': {
    id: 'ebs-encryption-by-default',
    title: 'Turn on EBS encryption by default',
    kind: 'configuration',
    roleFamily: 'configuration',
    resourceTypes: ['AWS::::Account'],
    defaultSeverity: 5,
    steps: [
      {
        id: 'enable-ebs-encryption-by-default',
        title: 'EnableEbsEncryptionByDefault',
        onFailure: 'compensate',
      },
    ],
  },
  'ec2-enforce-imdsv2': {
    id: 'ec2-enforce-imdsv2',
    title: 'Require IMDSv2 on an instance',
    kind: 'configuration',
    roleFamily: 'configuration',
    resourceTypes: ['AWS::EC2::Instance'],
    defaultSeverity: 7,
    steps: [
      {
        id: 'require-imdsv2',
        title: 'ModifyInstanceMetadataOptions HttpTokens=required',
        onFailure: 'compensate',
      },
    ],
  },
  'sg-close-admin-ports': {
    id: 'sg-close-admin-ports',
    title: 'Close world-open admin ports on a security group',
    kind: 'configuration',
    roleFamily: 'configuration',
    resourceTypes: ['AWS::EC2::SecurityGroup'],
    defaultSeverity: 8,
    steps: [
      {
        id: 'authorize-remaining-ports',
        title: 'Re-open the non-blocked ports of each wide rule',
        onFailure: 'compensate',
      },
      {
        id: 'revoke-world-open-admin-ports',
        title: 'Revoke the world-open pieces on blocked ports',
        onFailure: 'compensate',
      },
    ],
  },
  'ec2-isolate-instance': {
    id: 'ec2-isolate-instance',
    title: 'Isolate a compromised instance',
    kind: 'containment',
    roleFamily: 'network-containment',
    resourceTypes: ['AWS::EC2::Instance'],
    defaultSeverity: 8,
    steps: [
      { id: 'enable-termination-protection', title: 'Termination protection on', onFailure: 'fail-closed' },
      {
        id: 'isolate-network-interfaces',
        title:
          'Per ENI: the allow-all group (tracked connections become untracked), then at once the isolation group; never left in allow-all',
        onFailure: 'fail-closed',
      },
      {
        id: 'detach-from-auto-scaling-group',
        title: 'Detach from its Auto Scaling group',
        onFailure: 'best-effort',
      },
      {
        id: 'deregister-from-target-groups',
        title: 'Deregister from the target groups of its group and load balancers',
        onFailure: 'best-effort',
      },
      { id: 'set-shutdown-behaviour-stop', title: 'Shutdown behaviour stop', onFailure: 'best-effort' },
      {
        id: 'tag-for-forensics',
        title: 'Tag the finding and the original groups per ENI',
        onFailure: 'best-effort',
      },
      { id: 'snapshot-volumes', title: 'EBS snapshots for forensics', onFailure: 'best-effort' },
      {
        id: 'stop-instance',
        title: 'StopInstances, by policy only (stopOnCryptoCurrency, stopAfterIsolation): memory is evidence',
        onFailure: 'best-effort',
      },
    ],
  },
  'iam-contain-access-key': {
    id: 'iam-contain-access-key',
    title: 'Contain a compromised IAM credential: deactivate the key, or deny older sessions',
    kind: 'containment',
    roleFamily: 'iam-containment',
    resourceTypes: ['AWS::IAM::AccessKey'],
    defaultSeverity: 8,
    steps: [
      {
        id: 'deactivate-access-key',
        title: 'UpdateAccessKey Inactive (never delete)',
        onFailure: 'fail-closed',
      },
      {
        id: 'deny-older-sessions',
        title:
          "Inline user deny for sessions issued before now (option denyOlderSessions; a user's temporary key, approved)",
        onFailure: 'fail-closed',
      },
      {
        id: 'revoke-older-role-sessions',
        title:
          "Inline role deny for sessions issued before now (an assumed role's temporary key, after approval)",
        onFailure: 'fail-closed',
      },
    ],
  },
  'ec2-instance-recovery': {
    id: 'ec2-instance-recovery',
    title: 'Recover an instance whose system status check fails',
    kind: 'availability',
    roleFamily: 'availability',
    resourceTypes: ['AWS::EC2::Instance'],
    defaultSeverity: 6,
    steps: [
      {
        id: 'stop-instance',
        title: 'StopInstances (EBS-backed, outside an ASG, by policy)',
        onFailure: 'compensate',
      },
      { id: 'start-instance', title: 'StartInstances', onFailure: 'compensate' },
    ],
  },
  'asg-scale-out': {
    id: 'asg-scale-out',
    title: 'Scale out an Auto Scaling group under load',
    kind: 'availability',
    roleFamily: 'availability',
    resourceTypes: ['AWS::AutoScaling::AutoScalingGroup'],
    defaultSeverity: 5,
    steps: [
      { id: 'raise-desired-capacity', title: 'SetDesiredCapacity +1 within max', onFailure: 'compensate' },
    ],
  },
} as const satisfies Record<string, PlaybookDefinition>;

/** Id of a playbook written before the kit. */
export type PlaybookId = keyof typeof PLAYBOOKS;

/** The shape of a catalogue entry: only what a workflow reads (no titles, no resource types). */
export function shapeFrom({ kind, steps }: PlaybookShape): PlaybookShape {
  return { kind, steps: steps.map(({ id, onFailure }) => ({ id, onFailure })) };
}

/**
 * The shape of `playbook`: the one the worker sent with its settings, else (a history recorded before it sent
 * shapes) the built-in one; `undefined` for a playbook neither knows.
 */
export function shapeOf(playbook: string, sent?: PlaybookShape): PlaybookShape | undefined {
  return sent ?? (isPlaybookId(playbook) ? PLAYBOOKS[playbook] : undefined);
}

/** Narrows an arbitrary string (policy file, signal payload) to a known playbook id. */
export function isPlaybookId(value: string): value is PlaybookId {
  return Object.prototype.hasOwnProperty.call(PLAYBOOKS, value);
}

/**
 * Orders a plan by the playbook's steps and rejects steps it does not have, so an activity can choose which steps
 * apply but never invent one or reorder them.
 */
export function orderedPlan<T extends { readonly step: string }>(
  playbookId: string,
  plan: readonly T[],
  sent?: PlaybookShape,
): T[] {
  const shape = shapeOf(playbookId, sent);
  if (!shape) throw new Error(`Unknown playbook '${playbookId}'`);
  const known = shape.steps.map((s) => s.id);
  const unknown = plan.filter((p) => !known.includes(p.step)).map((p) => p.step);
  if (unknown.length > 0) throw new Error(`Playbook ${playbookId} has no step(s) ${unknown.join(', ')}`);
  return [...plan].sort((a, b) => known.indexOf(a.step) - known.indexOf(b.step));
}

/** The failure mode of one step of a playbook (`compensate` for a step its shape does not name). */
export function stepFailureMode(playbookId: string, stepId: string, sent?: PlaybookShape): StepFailureMode {
  return shapeOf(playbookId, sent)?.steps.find((s) => s.id === stepId)?.onFailure ?? 'compensate';
}
