/**
 * "GuardDuty Finding" → `Finding`. The finding id and type identify it; counts and last-seen times are left out of
 * the details so GuardDuty's re-sends of an unchanged finding (every 6 hours by default) are recorded as repeats and
 * never contain twice.
 */
import { z } from 'zod';
import { ACCOUNT_ID_PATTERN, REGION_PATTERN } from '../domain/finding';
import type { Finding, ResourceRef } from '../domain/finding';
import type { EventBridgeEnvelope } from './envelope';
import { parseDetail } from './envelope';
import { IngestRejection } from './rejection';

const idPattern = /^[\w.:/+=@-]{1,256}$/;

/** The fields of a GuardDuty finding we rely on. */
export const guardDutyDetailSchema = z.object({
  accountId: z.string().regex(ACCOUNT_ID_PATTERN, 'must be a 12-digit account id'),
  region: z.string().regex(REGION_PATTERN, 'must be a region name'),
  id: z.string().regex(idPattern),
  // ThreatPurpose:ResourceTypeAffected/ThreatFamilyName.DetectionMechanism!Artifact, as GuardDuty names its types
  // (`Backdoor:EC2/C&CActivity.B!DNS`): every type routes somewhere now, so a made-up one must not get that far.
  type: z
    .string()
    .max(256)
    .regex(/^[A-Za-z]+:[A-Za-z0-9]+\/[A-Za-z0-9&.!_-]+$/, 'must be a GuardDuty finding type'),
  severity: z.number().min(0).max(10),
  title: z.string().optional(),
  resource: z.object({
    resourceType: z.string().min(1),
    instanceDetails: z.object({ instanceId: z.string().regex(/^i-[0-9a-f]{8,17}$/) }).optional(),
    accessKeyDetails: z
      .object({
        accessKeyId: z
          .string()
          .regex(/^[A-Z0-9]{16,128}$/)
          .optional(),
        principalId: z.string().optional(),
        userName: z.string().regex(idPattern).optional(),
        userType: z.string().optional(),
      })
      .optional(),
    s3BucketDetails: z
      .array(
        z.object({
          name: z
            .string()
            .regex(/^[A-Za-z0-9._-]{3,255}$/)
            .optional(),
        }),
      )
      .max(100)
      .optional(),
  }),
  service: z.object({
    // Which detector holds the finding: the worker reads the finding back from it before any change (GetFindings
    // needs it). A malformed one is dropped, not rejected: the finding then cannot be confirmed, and nothing else
    // depends on it.
    detectorId: z
      .string()
      .regex(/^[a-z0-9]{1,300}$/)
      .optional()
      .catch(undefined),
    resourceRole: z.enum(['ACTOR', 'TARGET']).optional(),
    archived: z.boolean().optional(),
  }),
});

type GuardDutyDetail = z.infer<typeof guardDutyDetailSchema>;

/**
 * S3 findings that say a bucket became public (docs/playbooks.md, GuardDuty findings): their subject is the bucket,
 * which Block Public Access closes. GuardDuty reports them from CloudTrail management events, so their resource
 * type is the caller's `AccessKey`; the bucket is in `s3BucketDetails`.
 */
export const GUARDDUTY_PUBLIC_BUCKET_TYPES: readonly string[] = [
  'Policy:S3/BucketBlockPublicAccessDisabled',
  'Policy:S3/BucketAnonymousAccessGranted',
  'Policy:S3/BucketPublicAccessGranted',
];

/** The resource type of a finding whose subject is the finding itself (no playbook acts on what it is about). */
export const GUARDDUTY_FINDING_TYPE = 'GuardDuty::Finding';

/**
 * The finding's subject: the instance of an EC2 finding, the bucket of a public-bucket finding, the access key of
 * an IAM user finding; otherwise the finding itself, one execution per GuardDuty finding id.
 */
function resourceOf(detail: GuardDutyDetail): { resource: ResourceRef; details: Record<string, string> } {
  const { resource } = detail;
  // GuardDuty always describes the instance or key it names: a finding that names one without it is not GuardDuty's.
  if (resource.resourceType === 'Instance' && !resource.instanceDetails) {
    throw new IngestRejection(`GuardDuty finding ${detail.id}: an Instance finding without instance details`);
  }
  if (resource.resourceType === 'AccessKey' && !resource.accessKeyDetails) {
    throw new IngestRejection(
      `GuardDuty finding ${detail.id}: an AccessKey finding without access key details`,
    );
  }
  const bucket = resource.s3BucketDetails?.[0]?.name;
  if (GUARDDUTY_PUBLIC_BUCKET_TYPES.includes(detail.type) && bucket) {
    return {
      resource: {
        account: detail.accountId,
        region: detail.region,
        resourceType: 'AWS::S3::Bucket',
        resourceId: bucket,
      },
      details: {},
    };
  }
  if (resource.resourceType === 'Instance' && resource.instanceDetails) {
    return {
      resource: {
        account: detail.accountId,
        region: detail.region,
        resourceType: 'AWS::EC2::Instance',
        resourceId: resource.instanceDetails.instanceId,
      },
      details: {},
    };
  }
  // Only IAM user findings are about the key; other findings GuardDuty reports from an API call (S3 data access,
  // for example) name the caller's key too, but the key is not what they report.
  if (
    resource.resourceType === 'AccessKey' &&
    resource.accessKeyDetails &&
    detail.type.includes(':IAMUser/')
  ) {
    const key = resource.accessKeyDetails;
    const resourceId = key.accessKeyId ?? key.userName;
    if (!resourceId)
      throw new IngestRejection(`GuardDuty finding ${detail.id}: access key details name no key or user`);
    return {
      // IAM is global: one key, one execution, whatever region reported it.
      resource: {
        account: detail.accountId,
        region: 'global',
        resourceType: 'AWS::IAM::AccessKey',
        resourceId,
      },
      details: {
        ...(key.accessKeyId ? { accessKeyId: key.accessKeyId } : {}),
        ...(key.userName ? { userName: key.userName } : {}),
        ...(key.userType ? { userType: key.userType } : {}),
        ...(key.principalId ? { principalId: key.principalId } : {}),
      },
    };
  }
  return {
    resource: {
      account: detail.accountId,
      region: detail.region,
      resourceType: GUARDDUTY_FINDING_TYPE,
      resourceId: detail.id,
    },
    details: { guardDutyResourceType: resource.resourceType },
  };
}

/** Normalises a GuardDuty finding. */
export function normaliseGuardDuty(envelope: EventBridgeEnvelope): Finding {
  const detail = parseDetail(guardDutyDetailSchema, envelope);
  const { resource, details } = resourceOf(detail);
  return {
    source: 'aws.guardduty',
    control: detail.type,
    state: detail.service.archived ? 'NOT_APPLICABLE' : 'FAILED',
    resource,
    severity: detail.severity,
    title: detail.title ?? `GuardDuty ${detail.type} on ${resource.resourceId}`,
    observedAt: envelope.time,
    eventId: envelope.id,
    details: {
      guardDutyFindingId: detail.id,
      ...(detail.service.detectorId ? { guardDutyDetectorId: detail.service.detectorId } : {}),
      // The region GuardDuty holds the finding in: an access key's resource says `global`, the finding does not.
      guardDutyRegion: detail.region,
      resourceRole: detail.service.resourceRole ?? 'UNKNOWN',
      ...details,
    },
  };
}
