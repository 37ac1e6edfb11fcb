/**
 * Resources several playbooks act on, declared once: the Config type, the shape of the ids AWS issues (which the
 * ingest guard checks before a finding names an execution) and Security Hub's name for the type.
 */

/** An EC2 instance (`i-` and 8 or 17 hex digits). */
export const INSTANCE_RESOURCE = {
  type: 'AWS::EC2::Instance',
  idPattern: /^i-[0-9a-f]{8,17}$/,
  securityHubType: 'AwsEc2Instance',
} as const;

/** A security group (`sg-` and 8 or 17 hex digits). */
export const SECURITY_GROUP_RESOURCE = {
  type: 'AWS::EC2::SecurityGroup',
  idPattern: /^sg-[0-9a-f]{8,17}$/,
  securityHubType: 'AwsEc2SecurityGroup',
} as const;

/** A bucket, legacy us-east-1 names included (upper case, underscores, up to 255 characters). */
export const BUCKET_RESOURCE = {
  type: 'AWS::S3::Bucket',
  idPattern: /^[A-Za-z0-9._-]{3,255}$/,
  securityHubType: 'AwsS3Bucket',
} as const;

/** An Auto Scaling group name: up to 255 printable characters, no whitespace, control or format characters. */
export const AUTO_SCALING_GROUP_NAME = /^[^\s\p{Cc}\p{Cf}\p{Co}\p{Cs}]{1,255}$/u;
