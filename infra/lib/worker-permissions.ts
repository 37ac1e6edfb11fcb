/**
 * Exactly the AWS actions the worker calls, each with the reason it needs it, grouped by what they serve. The worker
 * role, its member-account twin and the README's permission list are built from this one table; a test checks it
 * against the SDK commands the code actually sends.
 */

/** One group of actions. `resources` are ARN patterns; `*` only where the service has no resource-level permission. */
export interface PermissionGroup {
  readonly sid: string;
  readonly why: string;
  readonly actions: readonly string[];
  /** Built per stack: `self` resources (queue, topics, bucket) are filled in by the stack. */
  readonly resources: 'any' | 'self';
  /** For `self`: which resources, in words (the stack writes the ARNs). */
  readonly scope?: string;
}

/** What the worker does in any account it remediates (its own, and members through the member role). */
export const REMEDIATION_PERMISSIONS: readonly PermissionGroup[] = [
  {
    sid: 'S3PublicAccessBlock',
    why: 's3-block-public-access: does the bucket exist (HeadBucket), read, put and (compensation) delete its public access block; read tags for the exemption tag',
    actions: [
      's3:ListBucket',
      's3:GetBucketPublicAccessBlock',
      's3:PutBucketPublicAccessBlock',
      's3:GetBucketTagging',
    ],
    resources: 'any',
  },
  {
    sid: 'Ec2Read',
    why: 'analysis, prior state and verification of every EC2 playbook (Describe* have no resource-level permissions)',
    actions: [
      'ec2:DescribeInstances',
      'ec2:DescribeInstanceAttribute',
      'ec2:DescribeInstanceStatus',
      'ec2:DescribeSecurityGroups',
      'ec2:DescribeSnapshots',
      'ec2:DescribeTags',
      'ec2:GetEbsEncryptionByDefault',
    ],
    resources: 'any',
  },
  {
    sid: 'Ec2Fix',
    why: 'ec2-enforce-imdsv2, ebs-encryption-by-default, sg-close-admin-ports, ec2-instance-recovery (stop/start by policy) and their compensations',
    actions: [
      'ec2:ModifyInstanceMetadataOptions',
      'ec2:EnableEbsEncryptionByDefault',
      'ec2:DisableEbsEncryptionByDefault',
      'ec2:AuthorizeSecurityGroupIngress',
      'ec2:RevokeSecurityGroupIngress',
      'ec2:StopInstances',
      'ec2:StartInstances',
    ],
    resources: 'any',
  },
  {
    sid: 'Ec2Isolate',
    why: 'ec2-isolate-instance: termination protection and shutdown behaviour, forensic tags and snapshots, the per-VPC isolation groups (no egress), moving ENIs; restore for operator rollback',
    actions: [
      'ec2:ModifyInstanceAttribute',
      'ec2:CreateTags',
      'ec2:DeleteTags',
      'ec2:CreateSnapshot',
      'ec2:CreateSecurityGroup',
      'ec2:AuthorizeSecurityGroupEgress',
      'ec2:RevokeSecurityGroupEgress',
      'ec2:ModifyNetworkInterfaceAttribute',
    ],
    resources: 'any',
  },
  {
    sid: 'AutoScaling',
    why: 'ec2-isolate-instance detaches from (rollback re-attaches to) the group; asg-scale-out reads and raises desired capacity; tags for exemptions',
    actions: [
      'autoscaling:DescribeAutoScalingGroups',
      'autoscaling:DescribeAutoScalingInstances',
      'autoscaling:DescribeTags',
      'autoscaling:DetachInstances',
      'autoscaling:AttachInstances',
      'autoscaling:SetDesiredCapacity',
    ],
    resources: 'any',
  },
  {
    sid: 'TargetGroups',
    why: 'ec2-isolate-instance deregisters the instance from its target groups (rollback registers it again)',
    actions: [
      'elasticloadbalancing:DescribeTargetGroups',
      'elasticloadbalancing:DescribeTargetHealth',
      'elasticloadbalancing:DeregisterTargets',
      'elasticloadbalancing:RegisterTargets',
    ],
    resources: 'any',
  },
  {
    sid: 'IamContainment',
    why: 'iam-contain-access-key: deactivate (never delete) a key, deny older sessions of a user or role by an inline policy, restore for rollback',
    actions: [
      'iam:ListAccessKeys',
      'iam:UpdateAccessKey',
      'iam:ListUserTags',
      'iam:GetUserPolicy',
      'iam:PutUserPolicy',
      'iam:DeleteUserPolicy',
      'iam:GetRole',
      'iam:GetRolePolicy',
      'iam:PutRolePolicy',
      'iam:DeleteRolePolicy',
    ],
    resources: 'any',
  },
  {
    sid: 'CloudWatchRead',
    why: 'IMDSv1 use (MetadataNoToken), the alarms of the CloudWatch playbooks and the health guard; an alarm finding is confirmed by its alarm state',
    actions: ['cloudwatch:GetMetricStatistics', 'cloudwatch:DescribeAlarms'],
    resources: 'any',
  },
  {
    sid: 'ConfirmFinding',
    why: 'before any change, read the finding back from its detector: the GuardDuty finding, the Security Hub control finding, the Config compliance of the resource (one read each)',
    actions: ['guardduty:GetFindings', 'securityhub:GetFindings', 'config:GetComplianceDetailsByResource'],
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
    why: 'assume RemediatorMemberRole (with the external id) in member accounts',
    actions: ['sts:AssumeRole'],
    resources: 'self',
    scope: '`arn:aws:iam::*:role/RemediatorMemberRole`',
  },
];

/** What the ingest bridge does (statements of the ingest role): it reads untrusted input, so it remediates nothing. */
export const INGEST_PERMISSIONS: readonly PermissionGroup[] = [
  {
    sid: 'IngestQueue',
    why: 'long-poll the queue, delete a message once Temporal accepted it (or it was dead-lettered)',
    actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
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

/** Every action in the tables, for the README and the tests. */
export function allActions(groups: readonly PermissionGroup[]): string[] {
  return [...new Set(groups.flatMap((g) => g.actions))].sort();
}
