/**
 * Id shapes of resources several playbooks act on, as AWS issues them: a playbook's `resource.idPattern`, which the
 * ingest guard checks before a finding names an execution.
 */

/** An EC2 instance id (`i-` and 8 or 17 hex digits). */
export const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

/** A security group id (`sg-` and 8 or 17 hex digits). */
export const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;

/** A bucket name, legacy us-east-1 names included (upper case, underscores, up to 255 characters). */
export const BUCKET_NAME = /^[A-Za-z0-9._-]{3,255}$/;

/** An Auto Scaling group name: up to 255 printable characters, no whitespace, control or format characters. */
export const AUTO_SCALING_GROUP_NAME = /^[^\s\p{Cc}\p{Cf}\p{Co}\p{Cs}]{1,255}$/u;
