/**
 * The normalised shape of everything a detector reports. Pure types and functions: safe to import from workflow code.
 */

/** Which AWS detector reported the finding (the EventBridge `source`). */
export type FindingSource = 'aws.config' | 'aws.guardduty' | 'aws.cloudwatch' | 'aws.securityhub';

/** What the detector says about the resource. FAILED findings can start remediations; the others only inform. */
export type FindingState = 'FAILED' | 'PASSED' | 'NOT_APPLICABLE';

/** Where a resource lives. Global resources (IAM) use `global` as region. */
export interface ResourceRef {
  /** 12-digit AWS account id of the account that owns the resource. */
  readonly account: string;
  /** AWS region of the resource, or `global`. */
  readonly region: string;
  /** CloudFormation-style type, e.g. `AWS::S3::Bucket`. */
  readonly resourceType: string;
  /** The id AWS Config uses for the resource (bucket name, instance id, ...). */
  readonly resourceId: string;
}

/** A detector's report about one resource, normalised from its EventBridge event. */
export interface Finding {
  readonly source: FindingSource;
  /** Config rule name, Security Hub control id, GuardDuty finding type or alarm name. */
  readonly control: string;
  readonly state: FindingState;
  readonly resource: ResourceRef;
  /** Severity on GuardDuty's 0–10 scale; Config has none and gets the playbook's default. */
  readonly severity: number;
  readonly title: string;
  /** When the detector evaluated the resource (ISO 8601). */
  readonly observedAt: string;
  /** The EventBridge event id, for tracing a finding back to its message. */
  readonly eventId: string;
  /** Detector-specific values a playbook needs (rule parameters, ports, key ids). Strings only, never secrets. */
  readonly details: Readonly<Record<string, string>>;
}

/** A finding together with the playbook the policy chose for it. This is what the ingest bridge signals. */
export interface RoutedFinding {
  readonly finding: Finding;
  readonly playbook: string;
}

/** Account-id shape that every boundary validates. */
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;

/** AWS region name shape (`ap-northeast-1`, `us-gov-west-1`). */
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d$/;

/** Resource ids become part of workflow ids: printable, no whitespace, bounded. */
export const RESOURCE_ID_PATTERN = /^[^\s]{1,768}$/;

/**
 * The id of the one execution that owns a resource (docs/architecture.md, Workflow ids):
 * `remediation/<account>/<region>/<resourceType>/<resourceId>`.
 */
export function remediationWorkflowId(resource: ResourceRef): string {
  return `remediation/${resource.account}/${resource.region}/${resource.resourceType}/${resource.resourceId}`;
}

/**
 * What makes two findings "the same" for the per-resource execution: a repeat has the same fingerprint and is only
 * recorded; new content (another control, other details) gets its own analysis. Timestamps and event ids are left
 * out on purpose because detectors re-send unchanged findings with fresh ones.
 */
export function findingFingerprint(finding: Finding): string {
  const details = Object.keys(finding.details)
    .sort()
    .map((key) => `${key}=${finding.details[key] ?? ''}`)
    .join('&');
  return [
    finding.source,
    finding.control,
    finding.state,
    remediationWorkflowId(finding.resource),
    details,
  ].join('|');
}
