/**
 * Every GuardDuty finding at or above the threshold is handled (docs/playbooks.md, GuardDuty findings): the six
 * instance families to isolation, every IAM user family to key containment, public buckets to Block Public Access at
 * any severity, and everything else to `guardduty-finding-triage`, keyed by the finding. The built-in policy's routes
 * and the EventBridge pattern derived from them agree on each.
 */
import { remediationWorkflowId } from '../../src/domain/finding';
import type { Finding } from '../../src/domain/finding';
import { parseMessageBody } from '../../src/ingest/envelope';
import { subjectFor } from '../../src/ingest/finding-subject';
import { singleFinding } from '../../src/ingest/normalise';
import { resourceProblem } from '../../src/ingest/resource-guard';
import { routeFinding } from '../../src/ingest/router';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';
import { guardDutyPattern } from '../../infra/lib/event-patterns';
import { fixtureEvent } from '../helpers/fixtures';

const finding = (fixture: string, patch: Record<string, unknown>): Finding =>
  singleFinding(parseMessageBody(JSON.stringify(fixtureEvent(fixture, patch))));
const instance = (type: string, severity = 8) =>
  finding('guardduty-ec2-unauthorized-access.json', { type, severity });
const key = (type: string, severity = 8) => finding('guardduty-iam-user-access-key.json', { type, severity });
const bucket = (type: string, severity = 2) =>
  finding('guardduty-s3-block-public-access-disabled.json', { type, severity });

/** What the bridge would start: the playbook, and the resource its execution is keyed by. */
function started(f: Finding) {
  const decision = routeFinding(f, DEFAULT_POLICY);
  if (decision.action !== 'start') return decision;
  const keyed = subjectFor(f, decision.playbook);
  return {
    playbook: decision.playbook,
    resource: `${keyed.resource.resourceType} ${keyed.resource.resourceId}`,
    problem: resourceProblem(keyed.resource, decision.playbook),
  };
}

describe('GuardDuty findings with the built-in policy', () => {
  it.each([
    'Backdoor:EC2/C&CActivity.B',
    'Behavior:EC2/NetworkPortUnusual',
    'CryptoCurrency:EC2/BitcoinTool.B!DNS',
    'Trojan:EC2/DNSDataExfiltration',
    'UnauthorizedAccess:EC2/TorClient',
    'Impact:EC2/PortSweep',
  ])('isolates the instance of %s', (type) => {
    expect(started(instance(type))).toEqual({
      playbook: 'ec2-isolate-instance',
      resource: 'AWS::EC2::Instance i-0f9e8d7c6b5a43210',
      problem: undefined,
    });
  });

  it.each([
    'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
    'Discovery:IAMUser/AnomalousBehavior',
    'PenTest:IAMUser/KaliLinux',
    'Stealth:IAMUser/CloudTrailLoggingDisabled',
  ])('contains the access key of %s', (type) => {
    expect(started(key(type))).toEqual({
      playbook: 'iam-contain-access-key',
      resource: 'AWS::IAM::AccessKey AKIAIOSFODNN7EXAMPLE',
      problem: undefined,
    });
  });

  it.each([
    ['Policy:S3/BucketBlockPublicAccessDisabled', 2],
    ['Policy:S3/BucketAnonymousAccessGranted', 8],
    ['Policy:S3/BucketPublicAccessGranted', 8],
  ])('blocks public access to the bucket of %s (severity %d)', (type, severity) => {
    expect(started(bucket(type, severity))).toEqual({
      playbook: 's3-block-public-access',
      resource: 'AWS::S3::Bucket acme-marketing-assets',
      problem: undefined,
    });
  });

  it.each([
    ['an instance of another family', () => instance('Recon:EC2/Portscan')],
    ['a runtime finding', () => instance('Execution:Runtime/ReverseShell')],
    ['an S3 data finding naming a key', () => key('Exfiltration:S3/AnomalousBehavior')],
    ['the account-level Block Public Access', () => bucket('Policy:S3/AccountBlockPublicAccessDisabled', 8)],
    [
      'a resource type no playbook knows',
      () =>
        finding('guardduty-ec2-unauthorized-access.json', {
          type: 'PrivilegeEscalation:Kubernetes/PrivilegedContainer',
          resource: { resourceType: 'EKSCluster' },
        }),
    ],
  ])('tickets and pages %s, one execution per finding', (_label, make) => {
    const f = make();
    const result = started(f);
    expect(result).toEqual({
      playbook: 'guardduty-finding-triage',
      resource: `GuardDuty::Finding ${f.details.guardDutyFindingId}`,
      problem: undefined,
    });
    const keyed = subjectFor(f, 'guardduty-finding-triage');
    expect(remediationWorkflowId(keyed.resource)).toContain('/GuardDuty::Finding/');
    // What it was about stays for the ticket.
    if (f.resource.resourceType !== 'GuardDuty::Finding') {
      expect(keyed.details).toMatchObject({
        subjectType: f.resource.resourceType,
        subjectId: f.resource.resourceId,
      });
    }
  });

  it('acknowledges a finding below 7 that is not a public bucket, with the reason', () => {
    for (const f of [instance('Recon:EC2/Portscan', 5), key('Discovery:IAMUser/AnomalousBehavior', 5)]) {
      expect(routeFinding(f, DEFAULT_POLICY)).toMatchObject({
        action: 'acknowledge',
        reason: expect.stringContaining('below the policy threshold'),
      });
    }
  });

  it('keeps a finding keyed by its resource for every playbook that acts on the resource', () => {
    const f = instance('Backdoor:EC2/Spambot');
    expect(subjectFor(f, 'ec2-isolate-instance')).toBe(f);
  });
});

describe('the EventBridge pattern the stacks derive from these routes', () => {
  const pattern = guardDutyPattern(DEFAULT_POLICY, 7) as {
    detail: { $or: { severity: [{ numeric: [string, number] }]; type?: string[] }[] };
  };

  it('lets every type through from the threshold on, and public buckets at any severity', () => {
    expect(pattern.detail.$or).toEqual([
      { severity: [{ numeric: ['>=', 7] }] },
      {
        severity: [{ numeric: ['>=', 0] }],
        type: [
          'Policy:S3/BucketBlockPublicAccessDisabled',
          'Policy:S3/BucketAnonymousAccessGranted',
          'Policy:S3/BucketPublicAccessGranted',
        ],
      },
    ]);
  });

  it('matches types by prefix or wildcard when the catch-all is routed elsewhere', () => {
    const policy = {
      ...DEFAULT_POLICY,
      routes: DEFAULT_POLICY.routes.filter((r) => !r.controls.includes('*')),
    };
    const narrowed = guardDutyPattern(policy, 7) as typeof pattern;
    expect(narrowed.detail.$or[0]?.type).toEqual(
      expect.arrayContaining([{ prefix: 'Backdoor:EC2/' }, { wildcard: '*:IAMUser/*' }]),
    );
  });
});
