/**
 * The built-in policy: reproduces the seed (auto-remediate, retry 30 s ×2 with three retries, 60 s propagation wait)
 * and a 15-minute cool-down (docs/architecture.md, One execution per resource).
 */
import { DEFAULT_APPROVAL_TIMEOUT_MS } from '../domain/policy';
import type { RemediationPolicy } from '../domain/policy';
import { KIT_PLAYBOOKS } from '../playbooks';
import { declaredRoutes } from '../playbooks/kit-routes';
import { GUARDDUTY_PUBLIC_BUCKET_TYPES } from '../ingest/normalise-guardduty';

/** GuardDuty finding families in which an instance acting is isolated (the list; Recon is only ticketed). */
const ISOLATION_FAMILIES = [
  'Backdoor',
  'Behavior',
  'CryptoCurrency',
  'Trojan',
  'UnauthorizedAccess',
  'Impact',
];

/** Used when `REMEDIATION_POLICY` is not set. */
export const DEFAULT_POLICY: RemediationPolicy = {
  version: 1,
  cooldownMs: 15 * 60 * 1000,
  routes: [
    {
      source: 'aws.config',
      controls: ['s3-bucket-public-read-prohibited', 's3-bucket-public-write-prohibited'],
      playbook: 's3-block-public-access',
    },
    { source: 'aws.config', controls: ['ec2-imdsv2-check'], playbook: 'ec2-enforce-imdsv2' },
    {
      source: 'aws.config',
      controls: ['restricted-ssh', 'restricted-common-ports'],
      playbook: 'sg-close-admin-ports',
    },
    { source: 'aws.securityhub', controls: ['S3.2', 'S3.3', 'S3.8'], playbook: 's3-block-public-access' },
    { source: 'aws.securityhub', controls: ['EC2.8'], playbook: 'ec2-enforce-imdsv2' },
    {
      source: 'aws.securityhub',
      controls: ['EC2.13', 'EC2.14', 'EC2.19'],
      playbook: 'sg-close-admin-ports',
    },
    // GuardDuty (docs/playbooks.md, GuardDuty findings): an instance of these families is isolated when it is the
    // actor (the playbook tickets a target); every IAM user family's key is contained; a bucket made public is
    // closed whatever the severity. Every other finding at or above 7 is ticketed and paged by
    // `guardduty-finding-triage`, whose catch-all route the kit playbooks' routes below end with.
    {
      source: 'aws.guardduty',
      controls: ISOLATION_FAMILIES.map((family) => `${family}:EC2/*`),
      playbook: 'ec2-isolate-instance',
      minSeverity: 7,
      resourceType: 'AWS::EC2::Instance',
    },
    {
      source: 'aws.guardduty',
      controls: ['*:IAMUser/*'],
      playbook: 'iam-contain-access-key',
      minSeverity: 7,
      resourceType: 'AWS::IAM::AccessKey',
    },
    {
      source: 'aws.guardduty',
      controls: GUARDDUTY_PUBLIC_BUCKET_TYPES,
      playbook: 's3-block-public-access',
      // GuardDuty rates a bucket's Block Public Access turned off as low; it is closed all the same.
      minSeverity: 0,
      resourceType: 'AWS::S3::Bucket',
    },
    {
      source: 'aws.cloudwatch',
      controls: ['AWS/EC2/StatusCheckFailed_System'],
      playbook: 'ec2-instance-recovery',
      resourceType: 'AWS::EC2::Instance',
    },
    {
      source: 'aws.cloudwatch',
      controls: ['AWS/EC2/CPUUtilization'],
      playbook: 'asg-scale-out',
      resourceType: 'AWS::AutoScaling::AutoScalingGroup',
    },
    // The kit playbooks' own triggers.
    ...declaredRoutes(KIT_PLAYBOOKS),
  ],
  defaults: {
    mode: 'auto',
    propagationWaitMs: 60_000,
    activityTimeoutMs: 60_000,
    approvalTimeoutMs: DEFAULT_APPROVAL_TIMEOUT_MS,
    retry: {
      initialIntervalMs: 30_000,
      backoffCoefficient: 2,
      maximumAttempts: 4,
      maximumIntervalMs: 300_000,
    },
  },
  playbooks: {},
};
