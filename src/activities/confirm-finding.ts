/**
 * Findings confirmed at the source (docs/architecture.md, Trust model): before any change, the worker asks the
 * detector, under its own AWS credentials, whether it really says what the finding claims. A finding is a request,
 * never authority; for containment the resource's state cannot show whether it is true, so only the detector can.
 *
 * One AWS read per finding (AWS Config reads a further page only when the rule is not on the first). Whatever the
 * detector does not back is not confirmed, with a plain reason; a permanent AWS error (access denied, not found) is
 * such a reason, a transient one throws so that the activity retries.
 */
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { GetComplianceDetailsByResourceCommand } from '@aws-sdk/client-config-service';
import type { EvaluationResult } from '@aws-sdk/client-config-service';
// Aliased: Security Hub's command has the same name (test/infra maps the alias back to guardduty:GetFindings).
import { GetFindingsCommand as GetGuardDutyFindingsCommand } from '@aws-sdk/client-guardduty';
import type { Finding as GuardDutyRecord } from '@aws-sdk/client-guardduty';
import { GetFindingsCommand } from '@aws-sdk/client-securityhub';
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { ApplicationFailure } from '@temporalio/activity';
import type { AwsClients } from '../aws/clients';
import { REGION_PATTERN } from '../domain/finding';
import type { Finding } from '../domain/finding';
import { GUARDDUTY_FINDING_TYPE } from '../ingest/normalise-guardduty';
import { configResourceId } from '../ingest/normalise-securityhub';
import { boundedReason } from '../ingest/reason';
import { classified } from './aws-errors';

/** What the detector said: confirmed (with what was read), or not (with why). */
export type Confirmation =
  | { readonly confirmed: true; readonly detail: string }
  | { readonly confirmed: false; readonly reason: string };

const yes = (detail: string): Confirmation => ({ confirmed: true, detail: boundedReason(detail) });
const no = (reason: string): Confirmation => ({ confirmed: false, reason: boundedReason(reason) });

/** Room for floating-point noise between the event's severity and the API's; a claim above GuardDuty's is refused. */
const SEVERITY_SLACK = 0.05;

/** Security Hub's own controls; any other product (anyone with BatchImportFindings) is not the detector. */
const SECURITY_HUB_PRODUCT =
  /^arn:(aws[a-z-]*):securityhub:([a-z]{2}(?:-[a-z]+)+-\d)::product\/aws\/securityhub$/;

/** AWS Config reads at most this many pages of one resource's results. */
const MAX_CONFIG_PAGES = 5;

/** Runs one read; a permanent AWS error becomes a reason, a transient one is thrown for the activity to retry. */
async function read<T>(
  action: string,
  call: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; not: Confirmation }> {
  try {
    return { ok: true, value: await classified(action, call) };
  } catch (err) {
    // Only the AWS error name: messages can quote request values.
    if (err instanceof ApplicationFailure && err.nonRetryable) {
      return { ok: false, not: no(`${action}: AWS answered ${err.type ?? 'an error'}`) };
    }
    throw err;
  }
}

/** Whether a GuardDuty record is about the finding's resource (and, for keys, the same principal). */
function guardDutyResourceMismatch(f: Finding, record: GuardDutyRecord): string | undefined {
  const { resourceType, resourceId } = f.resource;
  const r = record.Resource;
  if (resourceType === 'AWS::EC2::Instance') {
    const id = r?.InstanceDetails?.InstanceId;
    return id === resourceId ? undefined : `is about instance ${id ?? '(none)'}, not ${resourceId}`;
  }
  if (resourceType === 'AWS::IAM::AccessKey') {
    const key = r?.AccessKeyDetails;
    const id = key?.AccessKeyId ?? key?.UserName;
    if (id !== resourceId) return `is about access key or user ${id ?? '(none)'}, not ${resourceId}`;
    // The containment playbook acts on these: each one the finding names must be the record's.
    for (const [name, value] of [
      ['accessKeyId', key?.AccessKeyId],
      ['userName', key?.UserName],
      ['userType', key?.UserType],
    ] as const) {
      const claimed = f.details[name];
      if (claimed !== undefined && claimed !== value)
        return `names ${name} ${value ?? '(none)'}, not ${claimed}`;
    }
    return undefined;
  }
  if (resourceType === 'AWS::S3::Bucket') {
    const buckets = (r?.S3BucketDetails ?? []).map((b) => b.Name);
    return buckets.includes(resourceId)
      ? undefined
      : `is about bucket(s) ${buckets.join(', ') || '(none)'}, not ${resourceId}`;
  }
  // The finding itself (GUARDDUTY_FINDING_TYPE): its id is the resource id.
  return resourceType === GUARDDUTY_FINDING_TYPE && resourceId === record.Id
    ? undefined
    : `is finding ${record.Id ?? '(none)'}, not ${resourceType} ${resourceId}`;
}

/** Why a GuardDuty record does not back the finding, or undefined when it does. */
function guardDutyMismatch(f: Finding, record: GuardDutyRecord): string | undefined {
  if (record.Service?.Archived === true) return 'is archived';
  if (record.AccountId !== undefined && record.AccountId !== f.resource.account)
    return `belongs to account ${record.AccountId}`;
  if (record.Type !== f.control) return `has type ${record.Type ?? '(none)'}, not ${f.control}`;
  const severity = record.Severity;
  if (severity === undefined || severity < f.severity - SEVERITY_SLACK)
    return `has severity ${severity ?? '(none)'}, lower than the claimed ${f.severity}`;
  // The role decides whether an instance is isolated or only ticketed (docs/playbooks.md): it must be GuardDuty's.
  const role = f.details.resourceRole;
  const actual = record.Service?.ResourceRole;
  if ((role === 'ACTOR' || role === 'TARGET') && actual !== undefined && actual !== role)
    return `has resource role ${actual}, not ${role}`;
  return guardDutyResourceMismatch(f, record);
}

/** The Security Hub control a record reports, as the normaliser reads it. */
function controlOf(record: AwsSecurityFinding): string | undefined {
  return record.Compliance?.SecurityControlId ?? record.GeneratorId?.match(/security-control\/([^/]+)$/)?.[1];
}

/** `AwsEc2Instance` and `AWS::EC2::Instance` name the same type (as do unmapped types passed through as they are). */
function sameType(asffType: string, resourceType: string): boolean {
  const plain = (t: string) => t.toLowerCase().replace(/[^a-z0-9]/g, '');
  return plain(asffType.replace(/^Aws/, '')) === plain(resourceType.replace(/^AWS::/, ''));
}

/** Why a Security Hub record does not back the finding, or undefined when it does. */
function securityHubMismatch(f: Finding, record: AwsSecurityFinding): string | undefined {
  const productName = record.ProductFields?.['aws/securityhub/ProductName'];
  if (productName !== undefined && productName !== 'Security Hub')
    return `was produced by ${productName}, not Security Hub's controls`;
  if (record.AwsAccountId !== f.resource.account)
    return `belongs to account ${record.AwsAccountId ?? '(none)'}`;
  if (record.RecordState !== 'ACTIVE') return `is ${record.RecordState ?? 'in no record state'}, not ACTIVE`;
  const workflow = record.Workflow?.Status;
  // The normaliser takes these as NOT_APPLICABLE: someone decided the finding needs no action.
  if (workflow === 'SUPPRESSED' || workflow === 'RESOLVED') return `is ${workflow}`;
  if (record.Compliance?.Status !== 'FAILED')
    return `has compliance ${record.Compliance?.Status ?? '(none)'}, not FAILED`;
  const control = controlOf(record);
  if (control !== f.control) return `is for control ${control ?? '(none)'}, not ${f.control}`;
  const { resourceType, resourceId, account } = f.resource;
  const matches = (record.Resources ?? []).some(
    (r) =>
      r.Type !== undefined &&
      r.Id !== undefined &&
      sameType(r.Type, resourceType) &&
      configResourceId(r.Type, r.Id, account) === resourceId,
  );
  return matches ? undefined : `does not name ${resourceType} ${resourceId} among its resources`;
}

/** The metrics an alarm watches, as `<namespace>/<metric name>` with their dimensions. */
function metricsOf(alarm: MetricAlarm): Array<{ key: string; dims: Map<string, string | undefined> }> {
  const dims = (list: Array<{ Name?: string; Value?: string }> | undefined) =>
    new Map((list ?? []).map((d) => [d.Name ?? '', d.Value]));
  const out: Array<{ key: string; dims: Map<string, string | undefined> }> = [];
  if (alarm.Namespace && alarm.MetricName)
    out.push({ key: `${alarm.Namespace}/${alarm.MetricName}`, dims: dims(alarm.Dimensions) });
  for (const m of alarm.Metrics ?? []) {
    const metric = m.MetricStat?.Metric;
    if (metric?.Namespace && metric.MetricName)
      out.push({ key: `${metric.Namespace}/${metric.MetricName}`, dims: dims(metric.Dimensions) });
  }
  return out;
}

/** Whether an alarm watches what the finding says (its metric, and the dimension that names the resource). */
function alarmMatches(f: Finding, name: string, alarm: MetricAlarm | undefined): boolean {
  const { resourceType, resourceId } = f.resource;
  // The dimension the normaliser took the resource from.
  const dimension =
    resourceType === 'AWS::EC2::Instance'
      ? 'InstanceId'
      : resourceType === 'AWS::AutoScaling::AutoScalingGroup'
        ? 'AutoScalingGroupName'
        : undefined;
  if (!dimension) {
    if (resourceType !== 'AWS::CloudWatch::Alarm' || resourceId !== name) return false;
    return (
      f.control === `alarm/${name}` || (alarm ? metricsOf(alarm).some((m) => m.key === f.control) : false)
    );
  }
  return alarm
    ? metricsOf(alarm).some((m) => m.key === f.control && m.dims.get(dimension) === resourceId)
    : false;
}

/**
 * Builds the check: `confirm(finding, abortSignal)` reads the finding back from its detector under the worker's own
 * credentials and says whether the detector backs it. Only FAILED findings are read; the others change nothing.
 */
export function createFindingConfirmation(
  clients: AwsClients,
): (finding: Finding, abortSignal?: AbortSignal) => Promise<Confirmation> {
  async function guardDuty(f: Finding, abortSignal?: AbortSignal): Promise<Confirmation> {
    const findingId = f.details.guardDutyFindingId;
    const detectorId = f.details.guardDutyDetectorId;
    if (!findingId) return no('the finding names no GuardDuty finding id');
    if (!detectorId) return no('the finding names no GuardDuty detector');
    // An access key's resource is `global`; GuardDuty holds the finding in the region that reported it.
    const region = f.details.guardDutyRegion ?? f.resource.region;
    if (!REGION_PATTERN.test(region)) return no('the finding names no GuardDuty region');
    if (f.resource.region !== 'global' && f.resource.region !== region)
      return no(`the finding's resource is in ${f.resource.region}, its GuardDuty finding in ${region}`);
    const out = await read('read the GuardDuty finding', () =>
      clients
        .guardduty(f.resource.account, region)
        .send(new GetGuardDutyFindingsCommand({ DetectorId: detectorId, FindingIds: [findingId] }), {
          abortSignal,
        }),
    );
    if (!out.ok) return out.not;
    const record = out.value.Findings?.find((r) => r.Id === findingId);
    const where = `GuardDuty finding ${findingId} (detector ${detectorId}, ${f.resource.account} ${region})`;
    if (!record) return no(`${where} does not exist`);
    const mismatch = guardDutyMismatch(f, record);
    if (mismatch) return no(`${where} ${mismatch}`);
    return yes(`${where} is active: ${record.Type ?? ''}, severity ${record.Severity ?? ''}`);
  }

  async function securityHub(f: Finding, abortSignal?: AbortSignal): Promise<Confirmation> {
    const findingId = f.details.findingId;
    const productArn = f.details.productArn;
    if (!findingId || !productArn) return no('the finding names no Security Hub finding id and product');
    const product = SECURITY_HUB_PRODUCT.exec(productArn);
    const region = product?.[2];
    // Checked before the read: a third-party product is not the detector, whatever its record says.
    if (!region) return no(`product ${productArn} is not Security Hub's own controls`);
    const out = await read('read the Security Hub finding', () =>
      clients.securityhub(f.resource.account, region).send(
        new GetFindingsCommand({
          Filters: {
            Id: [{ Value: findingId, Comparison: 'EQUALS' }],
            ProductArn: [{ Value: productArn, Comparison: 'EQUALS' }],
          },
        }),
        { abortSignal },
      ),
    );
    if (!out.ok) return out.not;
    // Filtered again here: an emulator (moto) ignores filters, and a filter is not a promise about the answer.
    const record = (out.value.Findings ?? []).find((r) => r.Id === findingId && r.ProductArn === productArn);
    const where = `Security Hub finding ${findingId}`;
    if (!record) return no(`${where} does not exist`);
    const mismatch = securityHubMismatch(f, record);
    if (mismatch) return no(`${where} ${mismatch}`);
    return yes(`${where} is ACTIVE and FAILED for ${f.control} on ${f.resource.resourceId}`);
  }

  async function config(f: Finding, abortSignal?: AbortSignal): Promise<Confirmation> {
    const { account, region, resourceType, resourceId } = f.resource;
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_CONFIG_PAGES; page += 1) {
      const token = nextToken;
      const out = await read('read the resource compliance from AWS Config', () =>
        clients.config(account, region).send(
          new GetComplianceDetailsByResourceCommand({
            ResourceType: resourceType,
            ResourceId: resourceId,
            ComplianceTypes: ['NON_COMPLIANT'],
            ...(token ? { NextToken: token } : {}),
          }),
          { abortSignal },
        ),
      );
      if (!out.ok) return out.not;
      const result = (out.value.EvaluationResults ?? []).find((r) => isNonCompliant(f, r));
      if (result) {
        const at = result.ResultRecordedTime?.toISOString();
        return yes(
          `AWS Config rule ${f.control} is NON_COMPLIANT for ${resourceType} ${resourceId}${at ? ` (recorded ${at})` : ''}`,
        );
      }
      nextToken = out.value.NextToken;
      if (!nextToken) break;
    }
    return no(
      `AWS Config has no NON_COMPLIANT result of rule ${f.control} for ${resourceType} ${resourceId}`,
    );
  }

  async function alarm(f: Finding, abortSignal?: AbortSignal): Promise<Confirmation> {
    // The control is the alarm's metric; the alarm's name is in the details (or in an `alarm/<name>` control).
    const name = f.details.alarmName ?? /^alarm\/(.+)$/.exec(f.control)?.[1];
    if (!name) return no('the finding names no CloudWatch alarm');
    const { account, region } = f.resource;
    const out = await read('read the CloudWatch alarm', () =>
      clients
        .cloudwatch(account, region)
        .send(
          new DescribeAlarmsCommand({ AlarmNames: [name], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }),
          {
            abortSignal,
          },
        ),
    );
    if (!out.ok) return out.not;
    const metricAlarm = out.value.MetricAlarms?.find((a) => a.AlarmName === name);
    const found = metricAlarm ?? out.value.CompositeAlarms?.find((a) => a.AlarmName === name);
    const where = `CloudWatch alarm ${name} (${account} ${region})`;
    if (!found) return no(`${where} does not exist`);
    if (found.StateValue !== 'ALARM')
      return no(`${where} is ${found.StateValue ?? 'in no state'}, not ALARM`);
    if (!alarmMatches(f, name, metricAlarm))
      return no(
        `${where} does not watch ${f.control} of ${f.resource.resourceType} ${f.resource.resourceId}`,
      );
    return yes(`${where} is in ALARM`);
  }

  return async (finding, abortSignal) => {
    if (finding.state !== 'FAILED')
      return yes(`a ${finding.state} finding changes nothing; nothing to confirm`);
    switch (finding.source) {
      case 'aws.guardduty':
        return guardDuty(finding, abortSignal);
      case 'aws.securityhub':
        return securityHub(finding, abortSignal);
      case 'aws.config':
        return config(finding, abortSignal);
      case 'aws.cloudwatch':
        return alarm(finding, abortSignal);
      default:
        // Workflow input is a request: a source outside the type is possible at run time.
        return no(`findings of ${String(finding.source)} cannot be confirmed`);
    }
  };
}

/** An evaluation result of the finding's rule, for its resource, that says NON_COMPLIANT. */
function isNonCompliant(f: Finding, r: EvaluationResult): boolean {
  const q = r.EvaluationResultIdentifier?.EvaluationResultQualifier;
  return (
    r.ComplianceType === 'NON_COMPLIANT' &&
    q?.ConfigRuleName === f.control &&
    (q.ResourceType === undefined || q.ResourceType === f.resource.resourceType) &&
    (q.ResourceId === undefined || q.ResourceId === f.resource.resourceId)
  );
}
