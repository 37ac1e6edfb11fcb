import { remediationWorkflowId } from '../../src/domain/finding';
import { blockedPortsFor } from '../../src/domain/security-group-rules';
import { parseMessageBody } from '../../src/ingest/envelope';
import { normaliseEvent, singleFinding } from '../../src/ingest/normalise';
import { configResourceId } from '../../src/ingest/normalise-securityhub';
import { routeFinding } from '../../src/ingest/router';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';
import { fixtureEvent, fixtureText } from '../helpers/fixtures';

type Asff = Record<string, unknown>;

/** The EC2.8 fixture with its one finding changed. */
function securityHubEvent(patch: (finding: Asff) => Asff): string {
  const event = fixtureEvent('securityhub-ec2.8-failed.json') as { detail: { findings: Asff[] } };
  return JSON.stringify({ ...event, detail: { findings: event.detail.findings.map(patch) } });
}

describe('Security Hub findings', () => {
  it('lands EC2.8 on the same execution as the Config event for the instance', () => {
    const hub = singleFinding(parseMessageBody(fixtureText('securityhub-ec2.8-failed.json')));
    const config = singleFinding(parseMessageBody(fixtureText('config-ec2-imdsv2-noncompliant.json')));

    expect(hub).toMatchObject({ source: 'aws.securityhub', control: 'EC2.8', state: 'FAILED', severity: 7 });
    expect(remediationWorkflowId(hub.resource)).toBe(remediationWorkflowId(config.resource));
    expect(routeFinding(hub, DEFAULT_POLICY)).toEqual({ action: 'start', playbook: 'ec2-enforce-imdsv2' });
  });

  it.each([
    ['AwsS3Bucket', 'arn:aws:s3:::acme-marketing-assets', 'acme-marketing-assets'],
    ['AwsEc2Instance', 'arn:aws:ec2:ap-northeast-1:123456789012:instance/i-0abc', 'i-0abc'],
    ['AwsEc2SecurityGroup', 'arn:aws:ec2:ap-northeast-1:123456789012:security-group/sg-0123', 'sg-0123'],
    ['AwsAccount', 'AWS::::Account:123456789012', '123456789012'],
    [
      'AwsLambdaFunction',
      'arn:aws:lambda:ap-northeast-1:123456789012:function:billing-export',
      'billing-export',
    ],
    ['AwsRdsDbInstance', 'arn:aws:rds:ap-northeast-1:123456789012:db:orders-primary', 'orders-primary'],
    ['AwsSqsQueue', 'arn:aws:sqs:ap-northeast-1:123456789012:orders-queue', 'orders-queue'],
    ['AwsCloudTrailTrail', 'arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/org-trail', 'org-trail'],
    ['AwsIamUser', 'arn:aws:iam::123456789012:user/ops/ci/alice', 'alice'],
    // More after the id stays in it (and no playbook's id shape accepts it), never a suffix that looks like an id.
    [
      'AwsRdsDbInstance',
      'arn:aws:rds:ap-northeast-1:123456789012:db:db-1/; cat /etc/passwd',
      'db-1/; cat /etc/passwd',
    ],
    ['AwsEc2Instance', 'arn:aws:ec2:ap-northeast-1:123456789012:instance/x/i-0abc', 'x/i-0abc'],
  ])('normalises %s %s to %s', (type, id, expected) => {
    expect(configResourceId(type, id, '123456789012')).toBe(expected);
  });

  it.each([
    ['an archived record', (f: Asff) => ({ ...f, RecordState: 'ARCHIVED' }), 'NOT_APPLICABLE'],
    ['a suppressed finding', (f: Asff) => ({ ...f, Workflow: { Status: 'SUPPRESSED' } }), 'NOT_APPLICABLE'],
    [
      'a passed control',
      (f: Asff) => ({ ...f, Compliance: { Status: 'PASSED', SecurityControlId: 'EC2.8' } }),
      'PASSED',
    ],
  ])('treats %s as %s', (_label, patch, state) => {
    expect(singleFinding(parseMessageBody(securityHubEvent(patch))).state).toBe(state);
  });

  it('routes S3.8 on a bucket and EC2.19 with its high-risk port list', () => {
    const s3 = singleFinding(
      parseMessageBody(
        securityHubEvent((f) => ({
          ...f,
          Compliance: { Status: 'FAILED', SecurityControlId: 'S3.8' },
          Resources: [{ Type: 'AwsS3Bucket', Id: 'arn:aws:s3:::b1', Region: 'eu-west-1' }],
        })),
      ),
    );
    const sg = singleFinding(
      parseMessageBody(
        securityHubEvent((f) => ({
          ...f,
          Compliance: { Status: 'FAILED', SecurityControlId: 'EC2.19' },
          Resources: [
            { Type: 'AwsEc2SecurityGroup', Id: 'arn:aws:ec2:eu-west-1:123456789012:security-group/sg-9' },
          ],
        })),
      ),
    );
    expect(s3.resource).toMatchObject({
      resourceType: 'AWS::S3::Bucket',
      resourceId: 'b1',
      region: 'eu-west-1',
    });
    expect(routeFinding(s3, DEFAULT_POLICY)).toEqual({ action: 'start', playbook: 's3-block-public-access' });
    expect(routeFinding(sg, DEFAULT_POLICY)).toEqual({ action: 'start', playbook: 'sg-close-admin-ports' });
    expect(blockedPortsFor(sg.details.managedControl ?? '', sg.details)).toEqual(
      expect.arrayContaining([22, 3389, 5432, 9200]),
    );
  });

  it('routes EC2.14 (RDP from anywhere) to the admin-ports playbook with only 3389 blocked', () => {
    const rdp = singleFinding(
      parseMessageBody(
        securityHubEvent((f) => ({
          ...f,
          Compliance: { Status: 'FAILED', SecurityControlId: 'EC2.14' },
          Resources: [
            { Type: 'AwsEc2SecurityGroup', Id: 'arn:aws:ec2:eu-west-1:123456789012:security-group/sg-3' },
          ],
        })),
      ),
    );
    expect(routeFinding(rdp, DEFAULT_POLICY)).toEqual({ action: 'start', playbook: 'sg-close-admin-ports' });
    expect(blockedPortsFor(rdp.details.managedControl ?? '', rdp.details)).toEqual([3389]);
  });

  it('normalises every finding of a multi-finding event', () => {
    const event = fixtureEvent('securityhub-ec2.8-failed.json') as { detail: { findings: Asff[] } };
    const first = event.detail.findings[0] as Asff;
    const body = JSON.stringify({
      ...event,
      detail: {
        findings: [first, { ...first, Id: 'other', Resources: [{ Type: 'AwsEc2Instance', Id: 'i-2' }] }],
      },
    });
    const result = normaliseEvent(parseMessageBody(body));
    expect(result.kind === 'findings' && result.findings.map((f) => f.resource.resourceId)).toEqual([
      'i-0a1b2c3d4e5f60718',
      'i-2',
    ]);
  });

  it('rejects a finding without a control id', () => {
    const body = securityHubEvent((f) => ({ ...f, Compliance: { Status: 'FAILED' }, GeneratorId: 'custom' }));
    expect(() => normaliseEvent(parseMessageBody(body))).toThrow(/SecurityControlId/);
  });
});
