/**
 * "Security Hub Findings - Imported" (ASFF) → `Finding`s. One event can carry several findings. Resource ARNs are
 * normalised to the ids AWS Config uses, so a Security Hub finding and a Config event for the same resource land on
 * the same execution; the control comes from `Compliance.SecurityControlId`.
 */
import { allKitPlaybooks } from '../playbooks/catalogue';
import { z } from 'zod';
import { ACCOUNT_ID_PATTERN, RESOURCE_ID_PATTERN } from '../domain/finding';
import type { Finding, FindingState, ResourceRef } from '../domain/finding';
import type { EventBridgeEnvelope } from './envelope';
import { parseDetail } from './envelope';
import { IngestRejection } from './rejection';

const resourceSchema = z.object({
  Type: z.string().min(1),
  Id: z.string().min(1).max(2048),
  Region: z.string().optional(),
});

const findingSchema = z.object({
  Id: z.string().min(1).max(512),
  ProductArn: z.string().min(1),
  GeneratorId: z.string().optional(),
  AwsAccountId: z.string().regex(ACCOUNT_ID_PATTERN, 'must be a 12-digit account id'),
  Title: z.string().default(''),
  UpdatedAt: z.string().optional(),
  Region: z.string().optional(),
  Severity: z
    .object({ Normalized: z.number().min(0).max(100).optional(), Label: z.string().optional() })
    .optional(),
  Resources: z.array(resourceSchema).min(1),
  Compliance: z
    .object({ Status: z.string().optional(), SecurityControlId: z.string().optional() })
    .optional(),
  Workflow: z.object({ Status: z.string().optional() }).optional(),
  RecordState: z.string().optional(),
});

/** The detail of a Security Hub event: a list of ASFF findings. */
export const securityHubDetailSchema = z.object({ findings: z.array(findingSchema).min(1) });

/** The Config resource type of a Security Hub one, as the playbooks (built-in and loaded) declare theirs. */
function configResourceType(securityHubType: string): string {
  const kit = allKitPlaybooks().find((p) => p.resource.securityHubType === securityHubType);
  return kit?.resource.type ?? securityHubType;
}

/**
 * Controls whose checks equal a Config managed rule: the playbook uses the rule's semantics (e.g. blocked ports).
 * EC2.19's high-risk ports are Security Hub's documented list.
 */
const CONTROL_RULES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'EC2.13': { managedControl: 'restricted-ssh' },
  // RDP from anywhere: Security Hub runs RESTRICTED_INCOMING_TRAFFIC (as `restricted-rdp`) with port 3389 blocked.
  'EC2.14': { managedControl: 'restricted-common-ports', 'param.blockedPort1': '3389' },
  'EC2.19': {
    managedControl: 'restricted-common-ports',
    ...Object.fromEntries(
      [
        20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333, 5000, 5432, 5500, 5601,
        8080, 8088, 8888, 9200, 9300,
      ].map((port, i) => [`param.blockedPort${i + 1}`, String(port)]),
    ),
  },
};

const LABEL_SEVERITY: Readonly<Record<string, number>> = {
  INFORMATIONAL: 0,
  LOW: 3,
  MEDIUM: 5,
  HIGH: 7,
  CRITICAL: 9,
};

/**
 * Config's id for a Security Hub resource id: what follows the resource type in the ARN (`instance/i-…`, `key/…`,
 * `trail/…`, `function:name`, `db:name`), the bucket name, a queue's or topic's name, a user's name after its path,
 * or the account id. Everything after the type's separator is the id: a made-up ARN with more in it
 * (`db:x/; cat /etc/passwd`) gives an id no playbook accepts, never a suffix that looks like one.
 */
export function configResourceId(type: string, id: string, account: string): string {
  // The account's own id, as Security Hub writes it; anything else stays as it is and the ingest guard refuses it.
  if (type === 'AwsAccount') return id === `AWS::::Account:${account}` || id === account ? account : id;
  if (!id.startsWith('arn:')) return id;
  const resource = id.split(':').slice(5).join(':');
  if (type === 'AwsS3Bucket') return resource;
  // `user/<path>/<name>`: IAM paths are part of the ARN, the name is last.
  if (type === 'AwsIamUser') return resource.slice(resource.lastIndexOf('/') + 1);
  const separator = resource.search(/[/:]/);
  return separator >= 0 ? resource.slice(separator + 1) : resource;
}

function stateOf(f: z.infer<typeof findingSchema>): FindingState {
  const status = f.Compliance?.Status;
  const workflow = f.Workflow?.Status;
  if (f.RecordState === 'ARCHIVED' || workflow === 'SUPPRESSED' || workflow === 'RESOLVED')
    return 'NOT_APPLICABLE';
  if (status === 'FAILED') return 'FAILED';
  if (status === 'PASSED') return 'PASSED';
  return 'NOT_APPLICABLE';
}

function controlOf(f: z.infer<typeof findingSchema>): string {
  const fromGenerator = f.GeneratorId?.match(/security-control\/([^/]+)$/)?.[1];
  const control = f.Compliance?.SecurityControlId ?? fromGenerator;
  if (!control) throw new IngestRejection(`Security Hub finding ${f.Id} has no Compliance.SecurityControlId`);
  return control;
}

/** Normalises every finding of a Security Hub event. */
export function normaliseSecurityHub(envelope: EventBridgeEnvelope): Finding[] {
  const detail = parseDetail(securityHubDetailSchema, envelope);
  return detail.findings.map((f) => {
    const primary = f.Resources[0];
    if (!primary) throw new IngestRejection(`Security Hub finding ${f.Id} has no resource`);
    const control = controlOf(f);
    const resourceType = configResourceType(primary.Type);
    const resource: ResourceRef = {
      account: f.AwsAccountId,
      region: primary.Region ?? f.Region ?? envelope.region,
      resourceType,
      resourceId: configResourceId(primary.Type, primary.Id, f.AwsAccountId),
    };
    if (!RESOURCE_ID_PATTERN.test(resource.resourceId)) {
      throw new IngestRejection(
        `Security Hub finding ${f.Id}: resource id '${resource.resourceId}' is not usable`,
      );
    }
    const severity =
      f.Severity?.Normalized !== undefined
        ? f.Severity.Normalized / 10
        : (LABEL_SEVERITY[f.Severity?.Label ?? ''] ?? 5);
    return {
      source: 'aws.securityhub',
      control,
      state: stateOf(f),
      resource,
      severity,
      title: f.Title || `Security Hub ${control} for ${resource.resourceId}`,
      observedAt: f.UpdatedAt ?? envelope.time,
      eventId: envelope.id,
      details: {
        complianceStatus: f.Compliance?.Status ?? 'UNKNOWN',
        findingId: f.Id,
        productArn: f.ProductArn,
        ...(CONTROL_RULES[control] ?? {}),
      },
    };
  });
}
