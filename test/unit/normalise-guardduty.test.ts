import { findingFingerprint, remediationWorkflowId } from '../../src/domain/finding';
import { parseMessageBody } from '../../src/ingest/envelope';
import { MAX_TITLE_LENGTH, singleFinding } from '../../src/ingest/normalise';
import { controlMatches, routeFinding } from '../../src/ingest/router';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';
import { fixtureEvent, fixtureText } from '../helpers/fixtures';

const parse = (body: string) => singleFinding(parseMessageBody(body));

describe('GuardDuty findings', () => {
  it('cuts an oversized title to MAX_TITLE_LENGTH characters (it goes into every execution input and history)', () => {
    const long = 'Ω'.repeat(100_000);
    const finding = parse(
      JSON.stringify(fixtureEvent('guardduty-ec2-unauthorized-access.json', { title: long })),
    );
    expect(Array.from(finding.title)).toHaveLength(MAX_TITLE_LENGTH);
    expect(finding.title.endsWith('Ω…')).toBe(true);
    const short = parse(fixtureText('guardduty-ec2-unauthorized-access.json'));
    expect(short.title.length).toBeLessThan(MAX_TITLE_LENGTH);
    expect(short.title.endsWith('…')).toBe(false);
  });

  it('normalises an EC2 finding to the instance, with the finding id and role', () => {
    const finding = parse(fixtureText('guardduty-ec2-unauthorized-access.json'));
    expect(finding).toMatchObject({
      source: 'aws.guardduty',
      control: 'UnauthorizedAccess:EC2/TorClient',
      state: 'FAILED',
      severity: 8,
      resource: {
        account: '123456789012',
        region: 'ap-northeast-1',
        resourceType: 'AWS::EC2::Instance',
        resourceId: 'i-0f9e8d7c6b5a43210',
      },
      details: {
        guardDutyFindingId: 'b2c4e6f8a0b1c3d5e7f9a1b3c5d7e9f1',
        guardDutyDetectorId: '5ec4b8f1a2d3e4f5a6b7c8d9e0f1a2b3',
        guardDutyRegion: 'ap-northeast-1',
        resourceRole: 'ACTOR',
      },
    });
  });

  it("keeps GuardDuty's own region for an access key (its execution is global), to read the finding back there", () => {
    const finding = parse(fixtureText('guardduty-iam-user-access-key.json'));
    expect(finding.resource.region).toBe('global');
    expect(finding.details).toMatchObject({
      guardDutyDetectorId: '5ec4b8f1a2d3e4f5a6b7c8d9e0f1a2b3',
      guardDutyRegion: 'ap-northeast-1',
    });
  });

  it('drops a malformed detector id instead of rejecting the finding (it then cannot be confirmed)', () => {
    const event = fixtureEvent('guardduty-ec2-unauthorized-access.json') as {
      detail: { service: Record<string, unknown> };
    };
    for (const detectorId of ['../../admin', 42, { id: 'x' }, '']) {
      const finding = parse(
        JSON.stringify(
          fixtureEvent('guardduty-ec2-unauthorized-access.json', {
            service: { ...event.detail.service, detectorId },
          }),
        ),
      );
      expect(finding.state).toBe('FAILED');
      expect(finding.details.guardDutyDetectorId).toBeUndefined();
    }
  });

  it('puts an IAM access key on a global execution of its own', () => {
    const finding = parse(fixtureText('guardduty-iam-user-access-key.json'));
    expect(remediationWorkflowId(finding.resource)).toBe(
      'remediation/123456789012/global/AWS::IAM::AccessKey/AKIAIOSFODNN7EXAMPLE',
    );
    expect(finding.details).toMatchObject({
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      userName: 'ci-deployer',
      userType: 'IAMUser',
    });
  });

  it('treats a re-sent finding (new count and times) as a repeat', () => {
    const event = fixtureEvent('guardduty-ec2-unauthorized-access.json') as {
      detail: { service: Record<string, unknown> };
    };
    const resent = {
      ...event,
      id: 'another-event',
      time: '2026-11-21T08:40:00Z',
      detail: {
        ...event.detail,
        service: { ...event.detail.service, count: 9, eventLastSeen: '2026-11-21T08:38:12.000Z' },
      },
    };
    expect(findingFingerprint(parse(JSON.stringify(resent)))).toBe(
      findingFingerprint(parse(fixtureText('guardduty-ec2-unauthorized-access.json'))),
    );
  });

  it('acknowledges findings below the policy severity threshold and archived ones', () => {
    const low = parse(
      JSON.stringify(fixtureEvent('guardduty-ec2-unauthorized-access.json', { severity: 5 })),
    );
    expect(routeFinding(low, DEFAULT_POLICY)).toMatchObject({
      action: 'acknowledge',
      reason: expect.stringContaining('below the policy threshold 7'),
    });
    const event = fixtureEvent('guardduty-ec2-unauthorized-access.json') as {
      detail: { service: Record<string, unknown> };
    };
    const archived = parse(
      JSON.stringify(
        fixtureEvent('guardduty-ec2-unauthorized-access.json', {
          service: { ...event.detail.service, archived: true },
        }),
      ),
    );
    expect(archived.state).toBe('NOT_APPLICABLE');
  });

  it('matches GuardDuty types with * patterns', () => {
    expect(controlMatches('UnauthorizedAccess:EC2/TorClient', 'UnauthorizedAccess:EC2/*')).toBe(true);
    expect(controlMatches('UnauthorizedAccess:IAMUser/TorIPCaller', 'UnauthorizedAccess:EC2/*')).toBe(false);
    expect(controlMatches('CryptoCurrency:EC2/BitcoinTool.B!DNS', 'CryptoCurrency:EC2/*')).toBe(true);
  });

  it('rejects a finding with a malformed instance id', () => {
    const event = fixtureEvent('guardduty-ec2-unauthorized-access.json') as {
      detail: { resource: Record<string, unknown> };
    };
    const bad = fixtureEvent('guardduty-ec2-unauthorized-access.json', {
      resource: { ...event.detail.resource, instanceDetails: { instanceId: 'i-; rm -rf /' } },
    });
    expect(() => parse(JSON.stringify(bad))).toThrow(/instanceId/);
  });
});
