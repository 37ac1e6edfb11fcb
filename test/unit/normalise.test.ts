import { remediationWorkflowId } from '../../src/domain/finding';
import { parseMessageBody } from '../../src/ingest/envelope';
import { normaliseEvent, singleFinding } from '../../src/ingest/normalise';
import { IngestRejection } from '../../src/ingest/rejection';
import { fixtureEvent, fixtureNames, fixtureText } from '../helpers/fixtures';

describe('parseMessageBody', () => {
  it.each(fixtureNames())('parses the fixture %s as an EventBridge envelope', (name) => {
    // Act
    const envelope = parseMessageBody(fixtureText(name));
    // Assess
    expect(envelope.id).toMatch(/\S/);
    expect(envelope.account).toMatch(/^\d{12}$/);
    expect(envelope.source).toMatch(/^aws\./);
    expect(typeof envelope.detail).toBe('object');
  });

  it('unwraps an EventBridge event delivered through an SNS notification', () => {
    // Prepare
    const inner = fixtureText('config-s3-bucket-public-read-noncompliant.json');
    const body = JSON.stringify({
      Type: 'Notification',
      MessageId: 'b1',
      TopicArn: 'arn:aws:sns:ap-northeast-1:123456789012:t',
      Message: inner,
    });
    // Act
    const envelope = parseMessageBody(body);
    // Assess
    expect(envelope['detail-type']).toBe('Config Rules Compliance Change');
  });

  it.each([
    ['not JSON', '{oops', /not JSON/],
    [
      'no detail-type',
      JSON.stringify({
        version: '0',
        id: 'x',
        source: 's',
        account: '123456789012',
        time: 't',
        region: 'r',
        detail: {},
      }),
      /detail-type/,
    ],
    [
      'a bad account',
      JSON.stringify({ ...fixtureEvent('config-s3-bucket-public-read-noncompliant.json'), account: '12' }),
      /account/,
    ],
    [
      'SNS wrapping garbage',
      JSON.stringify({ Type: 'Notification', MessageId: 'm', TopicArn: 't', Message: 'nope' }),
      /SNS Message is not JSON/,
    ],
  ])('rejects %s with a reason', (_label, body, reason) => {
    expect(() => parseMessageBody(body)).toThrow(IngestRejection);
    expect(() => parseMessageBody(body)).toThrow(reason);
  });
});

describe('normaliseEvent: Config Rules Compliance Change', () => {
  it('takes account and region from the detail, not the envelope', () => {
    // Prepare: the event travelled through a central bus in another account and region.
    const event = {
      ...fixtureEvent('config-s3-bucket-public-read-noncompliant.json', {
        awsAccountId: '210987654321',
        awsRegion: 'eu-west-1',
      }),
      account: '999999999999',
      region: 'us-east-1',
    };
    // Act
    const finding = singleFinding(parseMessageBody(JSON.stringify(event)));
    // Assess
    expect(finding.resource).toEqual({
      account: '210987654321',
      region: 'eu-west-1',
      resourceType: 'AWS::S3::Bucket',
      resourceId: 'acme-marketing-assets',
    });
    expect(remediationWorkflowId(finding.resource)).toBe(
      'remediation/210987654321/eu-west-1/AWS::S3::Bucket/acme-marketing-assets',
    );
  });

  it.each([
    ['config-s3-bucket-public-read-noncompliant.json', 'FAILED'],
    ['config-s3-bucket-public-read-compliant.json', 'PASSED'],
    ['config-ec2-imdsv2-noncompliant.json', 'FAILED'],
    ['config-restricted-ssh-noncompliant.json', 'FAILED'],
    ['config-ebs-encryption-by-default-noncompliant.json', 'FAILED'],
  ])('normalises %s to state %s', (name, state) => {
    const finding = singleFinding(parseMessageBody(fixtureText(name)));
    expect(finding.state).toBe(state);
    expect(finding.source).toBe('aws.config');
    expect(finding.eventId).toBe(JSON.parse(fixtureText(name)).id);
  });

  it('maps NOT_APPLICABLE and INSUFFICIENT_DATA to NOT_APPLICABLE', () => {
    for (const complianceType of ['NOT_APPLICABLE', 'INSUFFICIENT_DATA']) {
      const base = fixtureEvent('config-s3-bucket-public-read-noncompliant.json') as {
        detail: Record<string, unknown>;
      };
      const event = fixtureEvent('config-s3-bucket-public-read-noncompliant.json', {
        newEvaluationResult: { ...(base.detail.newEvaluationResult as object), complianceType },
      });
      expect(singleFinding(parseMessageBody(JSON.stringify(event))).state).toBe('NOT_APPLICABLE');
    }
  });

  it.each([
    ['a resource id with whitespace', { resourceId: 'bad id' }, /resourceId/],
    ['a missing rule name', { configRuleName: undefined }, /configRuleName/],
    ['a malformed region', { awsRegion: 'Mars' }, /awsRegion/],
    ['an unknown compliance type', { newEvaluationResult: { complianceType: 'MAYBE' } }, /complianceType/],
  ])('rejects a detail with %s, naming the field', (_label, patch, field) => {
    const body = JSON.stringify(fixtureEvent('config-s3-bucket-public-read-noncompliant.json', patch));
    expect(() => normaliseEvent(parseMessageBody(body))).toThrow(field);
  });

  it('reports detail-types without a normaliser as unsupported, not invalid', () => {
    const result = normaliseEvent(
      parseMessageBody(
        JSON.stringify({
          ...fixtureEvent('config-s3-bucket-public-read-noncompliant.json'),
          source: 'aws.s3',
          'detail-type': 'AWS API Call via CloudTrail',
        }),
      ),
    );
    expect(result).toEqual({
      kind: 'unsupported',
      reason: expect.stringContaining('AWS API Call via CloudTrail'),
    });
  });
});
