import { findingFingerprint } from '../../src/domain/finding';
import { controlMatches, routeFinding } from '../../src/ingest/router';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';
import { s3Finding } from '../helpers/fixtures';

describe('routeFinding with the built-in policy', () => {
  it('starts s3-block-public-access for NON_COMPLIANT public read and write rules', () => {
    for (const control of ['s3-bucket-public-read-prohibited', 's3-bucket-public-write-prohibited']) {
      expect(routeFinding(s3Finding('b', { control }), DEFAULT_POLICY)).toEqual({
        action: 'start',
        playbook: 's3-block-public-access',
      });
    }
  });

  it('only signals for COMPLIANT findings', () => {
    expect(routeFinding(s3Finding('b', { state: 'PASSED' }), DEFAULT_POLICY)).toEqual({
      action: 'signal-only',
      playbook: 's3-block-public-access',
    });
  });

  it('acknowledges NOT_APPLICABLE and rules without a playbook, with a reason', () => {
    expect(routeFinding(s3Finding('b', { state: 'NOT_APPLICABLE' }), DEFAULT_POLICY)).toMatchObject({
      action: 'acknowledge',
      reason: expect.stringContaining('not applicable'),
    });
    expect(routeFinding(s3Finding('b', { control: 'cloudtrail-enabled' }), DEFAULT_POLICY)).toMatchObject({
      action: 'acknowledge',
      reason: expect.stringContaining("no playbook for aws.config control 'cloudtrail-enabled'"),
    });
  });

  it('ignores findings from another detector with the same control name', () => {
    expect(routeFinding(s3Finding('b', { source: 'aws.securityhub' }), DEFAULT_POLICY).action).toBe(
      'acknowledge',
    );
  });
});

describe('routeFinding severity thresholds', () => {
  it("applies the route's threshold and the playbook's or control's own, whichever is higher", () => {
    const policy = {
      ...DEFAULT_POLICY,
      playbooks: { 's3-block-public-access': { minSeverity: 6 } },
      controls: { 's3-bucket-public-write-prohibited': { minSeverity: 4 } },
    };
    const read = routeFinding(s3Finding('b', { severity: 5 }), policy);
    const write = routeFinding(
      s3Finding('b', { severity: 5, control: 's3-bucket-public-write-prohibited' }),
      policy,
    );
    expect(read).toEqual({
      action: 'acknowledge',
      reason: 's3-bucket-public-read-prohibited severity 5 is below the policy threshold 6',
    });
    expect(write).toEqual({ action: 'start', playbook: 's3-block-public-access' });
  });
});

describe('controlMatches', () => {
  it.each([
    ['s3-bucket-public-read-prohibited', true],
    ['securityhub-s3-bucket-public-read-prohibited-3f1c9a', true],
    ['s3-bucket-public-read-prohibited-conformance-pack-x1y2', true],
    ['s3-bucket-public-read-prohibited2', false],
    ['my-s3-bucket-public-write-prohibited', false],
  ])('%s matches s3-bucket-public-read-prohibited: %s', (name, expected) => {
    expect(controlMatches(name, 's3-bucket-public-read-prohibited')).toBe(expected);
  });
});

describe('findingFingerprint', () => {
  it('is the same for a re-sent finding with a new event id and time', () => {
    const first = s3Finding('b');
    const repeat = s3Finding('b', { eventId: 'other', observedAt: '2026-11-21T00:00:00Z' });
    expect(findingFingerprint(repeat)).toBe(findingFingerprint(first));
  });

  it('differs for another control on the same resource', () => {
    expect(findingFingerprint(s3Finding('b', { control: 's3-bucket-public-write-prohibited' }))).not.toBe(
      findingFingerprint(s3Finding('b')),
    );
  });
});
