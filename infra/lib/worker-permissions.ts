/**
 * Exactly the AWS actions the worker calls, each with the reason it needs it, grouped by the role family that makes
 * the call (src/domain/role-families.ts). The member roles, the central worker role (the union of the families, for
 * its own account) and docs/deployment.md's permission table are built from these tables; a test checks each
 * playbook's SDK commands against its family's actions.
 */
import type { RoleFamily } from '../../src/domain/role-families';
import { ROLE_FAMILIES } from '../../src/domain/role-families';
import type { AnyKitPlaybook } from '../../src/kit/playbook-kit';
import { KIT_PLAYBOOKS } from '../../src/playbooks';

/** One Allow statement. */
export interface PermissionGroup {
  /** Statement id: unique across every table, because the worker role holds all families in one policy. */
  readonly sid: string;
  readonly why: string;
  readonly actions: readonly string[];
  /**
   * `any`: `*` (a finding names any resource, and most of these actions have no resource-level permission);
   * `self`: this stack's own resources, filled in by the stack; otherwise ARN patterns, `{partition}` filled in.
   */
  readonly resources: 'any' | 'self' | readonly string[];
  /** For `self`: which resources, in words (the stack writes the ARNs). */
  readonly scope?: string;
  /** IAM condition block of the statement (operator → key → values). */
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

const INSTANCES = ['arn:{partition}:ec2:*:*:instance/*'];
const ROLES = ['arn:{partition}:iam::*:role/*'];

/** Reads that serve every playbook and change nothing but the finding's own status: the base member role. */
const DETECTION: readonly PermissionGroup[] = [
  {
    sid: 'ConfirmFinding',
    why: 'before any change, read the finding back from its detector: the GuardDuty finding, the Security Hub control finding, the Config compliance of the resource (one read each)',
    actions: ['guardduty:GetFindings', 'securityhub:GetFindings', 'config:GetComplianceDetailsByResource'],
    resources: 'any',
  },
  {
    sid: 'AlarmState',
    why: "an alarm finding is confirmed by its alarm's state; the health guard reads the alarms a playbook names before and after a change",
    actions: ['cloudwatch:DescribeAlarms'],
    resources: 'any',
  },
  {
    sid: 'ExemptionTags',
    why: "the controls read the resource's tags for the exemption and protected tags (an access key: its user's)",
    actions: ['s3:GetBucketTagging', 'ec2:DescribeTags', 'autoscaling:DescribeTags', 'iam:ListUserTags'],
    resources: 'any',
  },
  {
    sid: 'WriteBack',
    why: 'after a verified fix: ask Config to re-evaluate, mark the Security Hub finding resolved; the sweep reads compliance',
    actions: [
      'config:StartConfigRulesEvaluation',
      'config:DescribeConfigRules',
      'config:GetComplianceDetailsByConfigRule',
      'securityhub:BatchUpdateFindings',
    ],
    resources: 'any',
  },
];

/** Configuration fixes written before the kit: none left (every one is a kit playbook, its statements below). */
const CONFIGURATION: readonly PermissionGroup[] = [];

/**
 * ec2-isolate-instance's `ec2:ModifyInstanceAttribute`, one statement per attribute it sets, each only for requests
 * that set that attribute (the action can also change an instance's groups, type or user data): a kit declaration's
 * statement has no conditions, so these stay here. Its other calls are its kit statements (its actions, its tags;
 * the optional stop borrows the availability role).
 */
const NETWORK_CONTAINMENT: readonly PermissionGroup[] = [
  {
    sid: 'TerminationProtection',
    why: 'ec2-isolate-instance: termination protection on (rollback: as it was). Only this attribute: the request must set `ec2:Attribute/DisableApiTermination`',
    actions: ['ec2:ModifyInstanceAttribute'],
    resources: INSTANCES,
    conditions: { Null: { 'ec2:Attribute/DisableApiTermination': 'false' } },
  },
  {
    sid: 'ShutdownBehaviour',
    why: 'ec2-isolate-instance: shutdown behaviour stop (rollback: as it was). Only this attribute: the request must set `ec2:Attribute/InstanceInitiatedShutdownBehavior`',
    actions: ['ec2:ModifyInstanceAttribute'],
    resources: INSTANCES,
    conditions: { Null: { 'ec2:Attribute/InstanceInitiatedShutdownBehavior': 'false' } },
  },
];

/**
 * Availability fixes written before the kit: none left (its playbooks' statements, and the stop and start
 * ec2-isolate-instance borrows this role for, come from their declarations).
 */
const AVAILABILITY: readonly PermissionGroup[] = [];

/** A kit playbook's statement id: its id in Pascal case (`ec2-instance-recovery` → `Ec2InstanceRecovery`). */
function kitSid(playbook: AnyKitPlaybook): string {
  return playbook.id
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

/**
 * A kit playbook's statements, from its declaration: the IAM actions it declares (and those AWS checks beside them),
 * on any resource; and when it hands a role to a service, `iam:PassRole` on roles, only for passing to that service.
 */
export function kitPermissionGroups(playbook: AnyKitPlaybook): PermissionGroup[] {
  const sid = kitSid(playbook);
  const groups: PermissionGroup[] = [];
  const actions = [...playbook.iamActions, ...(playbook.dependentActions ?? [])];
  if (actions.length > 0) {
    groups.push({ sid, why: `${playbook.id}: ${playbook.title}`, actions, resources: 'any' });
  }
  for (const [i, grant] of (playbook.tags ?? []).entries()) {
    groups.push({
      sid: `${sid}Tags${i === 0 ? '' : i + 1}`,
      why: `${playbook.id}: ${grant.actions.join(', ')} with the keys ${grant.keys.join(', ')} only (the record of what it did)`,
      actions: grant.actions,
      resources: 'any',
      // Null: a request naming no tag keys (DeleteTags without tags removes them all) is not allowed either.
      conditions: {
        'ForAllValues:StringEquals': { 'aws:TagKeys': grant.keys },
        Null: { 'aws:TagKeys': 'false' },
      },
    });
  }
  if (playbook.passesRoleTo?.length) {
    groups.push({
      sid: `${sid}PassRole`,
      why: `${playbook.id}: hand a role to ${playbook.passesRoleTo.join(', ')} (the role the policy names), to no other service`,
      actions: ['iam:PassRole'],
      resources: ROLES,
      conditions: { StringEquals: { 'iam:PassedToService': playbook.passesRoleTo } },
    });
  }
  return groups;
}

/** What a kit playbook does with another family's role (`borrows`): granted to that family, not its own. */
export function borrowedPermissionGroups(playbook: AnyKitPlaybook): PermissionGroup[] {
  if (!playbook.borrows) return [];
  return [
    {
      sid: `${kitSid(playbook)}Borrowed`,
      why: `${playbook.id}: ${playbook.borrows.actions.join(', ')} through this role (its own role may not)`,
      actions: playbook.borrows.actions,
      resources: 'any',
    },
  ];
}

/** The statements of the kit playbooks of one family, and of those that borrow its role. */
const kitGroups = (family: RoleFamily): PermissionGroup[] => [
  ...KIT_PLAYBOOKS.filter((p) => p.roleFamily === family).flatMap(kitPermissionGroups),
  ...KIT_PLAYBOOKS.filter((p) => p.borrows?.family === family).flatMap(borrowedPermissionGroups),
];

/** The Allow statements of each family's member role: the tables above, then what the kit playbooks declare. */
export const FAMILY_PERMISSIONS: Readonly<Record<RoleFamily, readonly PermissionGroup[]>> = {
  detection: DETECTION,
  configuration: [...CONFIGURATION, ...kitGroups('configuration')],
  'network-containment': [...NETWORK_CONTAINMENT, ...kitGroups('network-containment')],
  'iam-containment': kitGroups('iam-containment'),
  availability: [...AVAILABILITY, ...kitGroups('availability')],
};

/**
 * Every family's statements: what the central worker role holds for its own account, where it uses its own
 * credentials (bounded by the same denies as the member roles).
 */
export const REMEDIATION_PERMISSIONS: readonly PermissionGroup[] = ROLE_FAMILIES.flatMap(
  (family) => FAMILY_PERMISSIONS[family],
);

/** What the worker does with the central resources, besides remediating (statements of the worker role). */
export const WORKER_SELF_PERMISSIONS: readonly PermissionGroup[] = [
  {
    sid: 'Notifications',
    why: 'outcomes, escalations and SNS tickets to the two topics of this stack',
    actions: ['sns:Publish'],
    resources: 'self',
    scope: 'the outcomes and on-call topics',
  },
  {
    sid: 'Audit',
    why: 'one audit record per outcome, under audit/ in the audit bucket (write only: it cannot read or delete)',
    actions: ['s3:PutObject'],
    resources: 'self',
    scope: 'objects under `audit/` in the audit bucket',
  },
  {
    sid: 'CentralKey',
    why: 'the topics and the audit bucket are encrypted with the stack key',
    actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
    resources: 'self',
    scope: "the stack's KMS key",
  },
  {
    sid: 'MemberAccounts',
    why: 'assume the family roles (with the external id) in member accounts: each trusts this role only',
    actions: ['sts:AssumeRole'],
    resources: 'self',
    scope:
      '`arn:aws:iam::*:role/RemediatorMemberRole` and its four `-Config`, `-Network`, `-Iam`, `-Availability` siblings',
  },
];

/** What the ingest bridge does (statements of the ingest role): it reads untrusted input, so it remediates nothing. */
export const INGEST_PERMISSIONS: readonly PermissionGroup[] = [
  {
    sid: 'IngestQueue',
    why: 'long-poll the queue, keep a held message invisible while Temporal is throttled, delete it once Temporal accepted it (or it was dead-lettered)',
    actions: [
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
      'sqs:ChangeMessageVisibility',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
    ],
    resources: 'self',
    scope: 'the ingest queue',
  },
  {
    sid: 'DeadLetter',
    why: 'copy an invalid message to the dead-letter queue with the reason',
    actions: ['sqs:SendMessage', 'sqs:GetQueueUrl'],
    resources: 'self',
    scope: 'the dead-letter queue',
  },
  {
    sid: 'ConfigRuleScope',
    why: "read a Config rule's scope to route a finding of a renamed rule (no resource-level permission)",
    actions: ['config:DescribeConfigRules'],
    resources: 'any',
  },
  {
    sid: 'QueueKey',
    why: 'the queues are encrypted with the stack key (with SSE-SQS: `AlertTopicKey`, for the on-call topic only)',
    actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
    resources: 'self',
    scope: "the stack's KMS key",
  },
  {
    sid: 'SecurityAlerts',
    why: 'page on-call when a message claims an account or region the policy does not serve (a forged finding)',
    actions: ['sns:Publish'],
    resources: 'self',
    scope: 'the on-call topic',
  },
];

/** Every action in the tables, for the docs and the tests. */
export function allActions(groups: readonly PermissionGroup[]): string[] {
  return [...new Set(groups.flatMap((g) => g.actions))].sort();
}
