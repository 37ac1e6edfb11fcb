/**
 * Every playbook built with the kit (docs/architecture.md, Playbook kit). The worker registers each under its id;
 * routing, permissions and the docs' tables are derived from these declarations.
 */
import { ebsEncryptionByDefault } from './ebs-encryption-by-default';
import { ec2SubnetNoPublicIp } from './ec2-subnet-no-public-ip';
import { guardDutyFindingTriage } from './guardduty-finding-triage';
import { iamPasswordPolicy } from './iam-password-policy';
import { kmsKeyRotation } from './kms-key-rotation';
import { s3AccountPublicAccessBlock } from './s3-account-public-access-block';

/** The kit playbooks, in catalogue order. */
export const KIT_PLAYBOOKS = [
  ebsEncryptionByDefault,
  kmsKeyRotation,
  ec2SubnetNoPublicIp,
  iamPasswordPolicy,
  s3AccountPublicAccessBlock,
  // GuardDuty's catch-all: `declaredRoutes` puts its route after every other.
  guardDutyFindingTriage,
] as const;
