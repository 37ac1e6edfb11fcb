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
const USERS = ['arn:{partition}:iam::*:user/*'];
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

/** Configuration fixes written before the kit: a bucket's public access block, IMDSv2, admin ports. */
const CONFIGURATION: readonly PermissionGroup[] = [
  {
    sid: 'S3PublicAccessBlock',
    why: 's3-block-public-access: does the bucket exist (HeadBucket), read, put and (compensation) delete its public access block',
    actions: ['s3:ListBucket', 's3:GetBucketPublicAccessBlock', 's3:PutBucketPublicAccessBlock'],
    resources: 'any',
  },
  {
    sid: 'Imdsv2',
    why: 'ec2-enforce-imdsv2: read the instance and its IMDSv1 use (MetadataNoToken), require tokens, restore for compensation',
    actions: ['ec2:DescribeInstances', 'ec2:ModifyInstanceMetadataOptions', 'cloudwatch:GetMetricStatistics'],
    resources: 'any',
  },
  {
    sid: 'AdminPorts',
    why: 'sg-close-admin-ports: read the group, re-open the non-admin ports of a wide rule, revoke the world-open admin ports',
    actions: [
      'ec2:DescribeSecurityGroups',
      'ec2:AuthorizeSecurityGroupIngress',
      'ec2:RevokeSecurityGroupIngress',
    ],
    resources: 'any',
  },
];

/** ec2-isolate-instance: everything but the optional stop, which is the availability role's. */
const NETWORK_CONTAINMENT: readonly PermissionGroup[] = [
  {
    sid: 'IsolationRead',
    why: 'ec2-isolate-instance: the instance, its attributes, groups and snapshots, for analysis, prior state and verification',
    actions: [
      'ec2:DescribeInstances',
      'ec2:DescribeInstanceAttribute',
      'ec2:DescribeSecurityGroups',
      'ec2:DescribeSnapshots',
    ],
    resources: 'any',
  },
  {
    sid: 'IsolationGroups',
    why: 'ec2-isolate-instance: the per-VPC isolation group (no ingress, no egress) and the temporary allow-all group that untracks connections, moving each ENI onto them; operator rollback moves it back',
    actions: [
      'ec2:CreateSecurityGroup',
      'ec2:DeleteSecurityGroup',
      'ec2:AuthorizeSecurityGroupIngress',
      'ec2:AuthorizeSecurityGroupEgress',
      'ec2:RevokeSecurityGroupIngress',
      'ec2:RevokeSecurityGroupEgress',
      'ec2:ModifyNetworkInterfaceAttribute',
    ],
    resources: 'any',
  },
  {
    sid: 'Forensics',
    why: 'ec2-isolate-instance: tag the instance (finding, original groups per ENI) and the groups it creates, snapshot the volumes',
    actions: ['ec2:CreateTags', 'ec2:DeleteTags', 'ec2:CreateSnapshot'],
    resources: 'any',
  },
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
  {
    sid: 'LeaveAutoScaling',
    why: 'ec2-isolate-instance: detach the instance from its Auto Scaling group (rollback re-attaches it)',
    actions: [
      'autoscaling:DescribeAutoScalingInstances',
      'autoscaling:DescribeAutoScalingGroups',
      'autoscaling:DetachInstances',
      'autoscaling:AttachInstances',
    ],
    resources: 'any',
  },
  {
    sid: 'LeaveTargetGroups',
    why: 'ec2-isolate-instance: deregister the instance from its target groups (rollback registers it again)',
    actions: [
      'elasticloadbalancing:DescribeLoadBalancers',
      'elasticloadbalancing:DescribeTargetGroups',
      'elasticloadbalancing:DescribeTargetHealth',
      'elasticloadbalancing:DeregisterTargets',
      'elasticloadbalancing:RegisterTargets',
    ],
    resources: 'any',
  },
];

/** iam-contain-access-key. Bounded by the protected-principal denies (infra/lib/protected-principals.ts). */
const IAM_CONTAINMENT: readonly PermissionGroup[] = [
  {
    sid: 'AccessKeys',
    why: "iam-contain-access-key: list a user's keys, deactivate one (never delete); only a signed rollback sets it Active again",
    actions: ['iam:ListAccessKeys', 'iam:UpdateAccessKey'],
    resources: USERS,
  },
  {
    sid: 'UserSessions',
    why: "iam-contain-access-key: deny a user's sessions issued before the containment with one inline policy of a fixed name and shape; restore for rollback",
    actions: ['iam:GetUserPolicy', 'iam:PutUserPolicy', 'iam:DeleteUserPolicy'],
    resources: USERS,
  },
  {
    sid: 'RoleSessions',
    why: "iam-contain-access-key: the same deny on an assumed role's earlier sessions (after approval)",
    actions: ['iam:GetRole', 'iam:GetRolePolicy', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
    resources: ROLES,
  },
];

/** ec2-instance-recovery, asg-scale-out, and the isolation playbook's optional stop. */
const AVAILABILITY: readonly PermissionGroup[] = [
  {
    sid: 'Recovery',
    why: 'ec2-instance-recovery: the instance, its status, its group and alarms; stop and start it (EBS-backed, outside an ASG, by policy)',
    actions: [
      'ec2:DescribeInstances',
      'ec2:DescribeInstanceStatus',
      'autoscaling:DescribeAutoScalingInstances',
      'cloudwatch:DescribeAlarms',
    ],
    resources: 'any',
  },
  {
    sid: 'StopStart',
    why: 'ec2-instance-recovery stops and starts; ec2-isolate-instance may stop (CryptoCurrency findings, by policy). Stop and start are in no other member role',
    actions: ['ec2:StopInstances', 'ec2:StartInstances'],
    resources: INSTANCES,
  },
  {
    sid: 'ScaleOut',
    why: "asg-scale-out: read the group and its alarm, raise desired capacity by one within the group's maximum (compensation lowers it)",
    actions: [
      'autoscaling:DescribeAutoScalingGroups',
      'autoscaling:SetDesiredCapacity',
      'cloudwatch:DescribeAlarms',
    ],
    resources: 'any',
  },
];

/**
 * A kit playbook's statements, from its declaration: the IAM actions it declares (and those AWS checks beside them),
 * on any resource; and when it hands a role to a service, `iam:PassRole` on roles, only for passing to that service.
 */
export function kitPermissionGroups(playbook: AnyKitPlaybook): PermissionGroup[] {
  const sid = playbook.id
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
  const groups: PermissionGroup[] = [];
  const actions = [...playbook.iamActions, ...(playbook.dependentActions ?? [])];
  if (actions.length > 0) {
    groups.push({ sid, why: `${playbook.id}: ${playbook.title}`, actions, resources: 'any' });
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

/** The statements of the kit playbooks of one family. */
const kitGroups = (family: RoleFamily): PermissionGroup[] =>
  KIT_PLAYBOOKS.filter((p) => p.roleFamily === family).flatMap(kitPermissionGroups);

/** The Allow statements of each family's member role: the tables above, then what the kit playbooks declare. */
export const FAMILY_PERMISSIONS: Readonly<Record<RoleFamily, readonly PermissionGroup[]>> = {
  detection: DETECTION,
  configuration: [...CONFIGURATION, ...kitGroups('configuration')],
  'network-containment': [...NETWORK_CONTAINMENT, ...kitGroups('network-containment')],
  'iam-containment': [...IAM_CONTAINMENT, ...kitGroups('iam-containment')],
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
