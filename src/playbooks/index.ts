/**
 * Every playbook built with the kit (docs/architecture.md, Playbook kit). The worker registers each under its id;
 * routing, permissions and the docs' tables are derived from these declarations.
 */
import { asgScaleOut } from './asg-scale-out';
import { cloudtrailEncryption } from './cloudtrail-encryption';
import { cloudtrailLogFileValidation } from './cloudtrail-log-file-validation';
import { cloudtrailMultiRegionLogging } from './cloudtrail-multi-region-logging';
import { configRecorderEnabled } from './config-recorder-enabled';
import { ebsEncryptionByDefault } from './ebs-encryption-by-default';
import { ec2DefaultSgClosed } from './ec2-default-sg-closed';
import { ec2EnforceImdsv2 } from './ec2-enforce-imdsv2';
import { ec2InstanceRecovery } from './ec2-instance-recovery';
import { ec2IsolateInstance } from './ec2-isolate-instance';
import { ec2SnapshotNotPublic } from './ec2-snapshot-not-public';
import { ec2SubnetNoPublicIp } from './ec2-subnet-no-public-ip';
import { ec2VpcFlowLogs } from './ec2-vpc-flow-logs';
import { guardDutyEnabled } from './guardduty-enabled';
import { guardDutyFindingTriage } from './guardduty-finding-triage';
import { iamAccessKeyRotation } from './iam-access-key-rotation';
import { iamContainAccessKey } from './iam-contain-access-key';
import { iamPasswordPolicy } from './iam-password-policy';
import { iamUnusedCredentials } from './iam-unused-credentials';
import { kmsKeyRotation } from './kms-key-rotation';
import { lambdaFunctionNotPublic } from './lambda-function-not-public';
import { rdsInstanceNotPublic } from './rds-instance-not-public';
import { rdsSnapshotNotPublic } from './rds-snapshot-not-public';
import { s3AccountPublicAccessBlock } from './s3-account-public-access-block';
import { s3BlockPublicAccess } from './s3-block-public-access';
import { s3BucketSslOnly } from './s3-bucket-ssl-only';
import { sgCloseAdminPorts } from './sg-close-admin-ports';
import { snsTopicEncrypted } from './sns-topic-encrypted';
import { sqsQueueEncrypted } from './sqs-queue-encrypted';
import { ssmDocumentNotPublic } from './ssm-document-not-public';

/** The kit playbooks, in catalogue order. */
export const KIT_PLAYBOOKS = [
  s3BlockPublicAccess,
  ebsEncryptionByDefault,
  ec2EnforceImdsv2,
  kmsKeyRotation,
  ec2SubnetNoPublicIp,
  ec2DefaultSgClosed,
  sgCloseAdminPorts,
  ec2SnapshotNotPublic,
  ec2VpcFlowLogs,
  iamPasswordPolicy,
  s3AccountPublicAccessBlock,
  cloudtrailLogFileValidation,
  cloudtrailEncryption,
  cloudtrailMultiRegionLogging,
  configRecorderEnabled,
  guardDutyEnabled,
  s3BucketSslOnly,
  sqsQueueEncrypted,
  snsTopicEncrypted,
  rdsSnapshotNotPublic,
  rdsInstanceNotPublic,
  lambdaFunctionNotPublic,
  ssmDocumentNotPublic,
  iamAccessKeyRotation,
  iamUnusedCredentials,
  ec2IsolateInstance,
  iamContainAccessKey,
  ec2InstanceRecovery,
  asgScaleOut,
  // GuardDuty's catch-all: `declaredRoutes` puts its route after every other.
  guardDutyFindingTriage,
] as const;
