/**
 * The control plane's rules, pure: exemptions with expiry and patterns, pause scopes, flap detection, the breaker's
 * exact count, and the CLI's parsing of expiries and resources.
 */
import { exemptionResource, parseUntil } from '../../src/commands/controls';
import { listQuery } from '../../src/commands/status';
import {
  admit,
  allowListExemption,
  EMPTY_CONTROL_STATE,
  managedBy,
  pruned,
  resourceKey,
} from '../../src/domain/controls';
import type { AdmissionRequest, ControlState } from '../../src/domain/controls';

const NOW = new Date('2026-11-29T10:00:00Z');
const bucket = (id: string) => ({
  account: '123456789012',
  region: 'ap-northeast-1',
  resourceType: 'AWS::S3::Bucket',
  resourceId: id,
});
const request = (id: string, extra: Partial<AdmissionRequest> = {}): AdmissionRequest => ({
  workflowId: `remediation/${resourceKey(bucket(id))}`,
  resource: bucket(id),
  playbook: 's3-block-public-access',
  ...extra,
});
const at = (minutesAgo: number) => new Date(NOW.getTime() - minutesAgo * 60_000).toISOString();

describe('admit', () => {
  it('exempts a resource matching an unexpired exemption (patterns too), without counting it', () => {
    const state: ControlState = {
      ...EMPTY_CONTROL_STATE,
      exemptions: [
        {
          resource: '123456789012/*/AWS::S3::Bucket/legacy-*',
          until: at(-60),
          reason: 'migration',
          by: 'a',
          at: at(5),
        },
        { resource: resourceKey(bucket('old')), until: at(1), reason: 'expired', by: 'a', at: at(90) },
      ],
    };
    const exempt = admit(state, request('legacy-logs'), NOW);
    const expired = admit(state, request('old'), NOW);
    expect(exempt.decision).toEqual({
      decision: 'exempt',
      reason: `exempted by a until ${at(-60)}: migration`,
    });
    expect(exempt.state.admissions).toHaveLength(0);
    expect(expired.decision).toEqual({ decision: 'proceed' });
  });

  it('holds what a pause covers: everything, one playbook, or one account', () => {
    const pause = (p: object): ControlState => ({
      ...EMPTY_CONTROL_STATE,
      pauses: [{ reason: 'incident', by: 'b', at: at(1), ...p }],
    });
    expect(admit(pause({}), request('x'), NOW).decision.decision).toBe('paused');
    expect(admit(pause({ playbook: 's3-block-public-access' }), request('x'), NOW).decision.decision).toBe(
      'paused',
    );
    expect(admit(pause({ playbook: 'asg-scale-out' }), request('x'), NOW).decision.decision).toBe('proceed');
    expect(admit(pause({ account: '999999999999' }), request('x'), NOW).decision.decision).toBe('proceed');
    expect(admit(pause({}), request('x'), NOW).decision).toMatchObject({
      reason: 'paused (every playbook in every account) by b: incident',
    });
  });

  it('escalates a resource remediated maxPerWindow times within the window (flapping)', () => {
    const flapping = { maxPerWindow: 3, windowMs: 24 * 3600_000 };
    let state = EMPTY_CONTROL_STATE;
    const decisions: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      const r = admit(state, request('flappy', { flapping }), NOW);
      decisions.push(r.decision.decision);
      state = r.state;
    }
    expect(decisions).toEqual(['proceed', 'proceed', 'proceed', 'flapping']);
    // Outside the window they no longer count.
    const later = new Date(NOW.getTime() + 24 * 3600_000 + 1);
    expect(
      admit(pruned(state, later, 30 * 86_400_000), request('flappy', { flapping }), later).decision.decision,
    ).toBe('proceed');
  });

  it('sends new remediations of one playbook in one account to approval beyond the breaker limit, counting exactly', () => {
    const breaker = { maxPerWindow: 2, windowMs: 3600_000 };
    let state: ControlState = {
      ...EMPTY_CONTROL_STATE,
      // One admission of another account and one outside the window do not count.
      admissions: [
        { resourceKey: 'other', playbook: 's3-block-public-access', account: '999999999999', at: at(1) },
        { resourceKey: 'old', playbook: 's3-block-public-access', account: '123456789012', at: at(61) },
      ],
    };
    const decisions: string[] = [];
    const pages: boolean[] = [];
    for (const id of ['a', 'b', 'c', 'd']) {
      const r = admit(state, request(id, { breaker }), NOW);
      decisions.push(r.decision.decision);
      if (r.decision.decision === 'approve') pages.push(r.decision.firstOverLimit === true);
      state = r.state;
    }
    expect(decisions).toEqual(['proceed', 'proceed', 'approve', 'approve']);
    // On-call hears of the trip once, not once per held remediation.
    expect(pages).toEqual([true, false]);
    expect(admit(state, request('e', { breaker }), NOW).decision).toMatchObject({
      reason:
        'breaker: 5 new s3-block-public-access remediations in account 123456789012 within 60 min (limit 2)',
    });
  });
});

describe('admission retention', () => {
  it('records no admission without a limit, and keeps counted ones only as long as the longest window asked', () => {
    const unlimited = admit(EMPTY_CONTROL_STATE, request('free'), NOW);
    expect(unlimited.decision.decision).toBe('proceed');
    expect(unlimited.state).toBe(EMPTY_CONTROL_STATE);

    const breaker = { maxPerWindow: 100, windowMs: 3600_000 };
    const flapping = { maxPerWindow: 3, windowMs: 2 * 3600_000 };
    let state = admit(EMPTY_CONTROL_STATE, request('a', { breaker }), NOW).state;
    state = admit(state, request('b', { flapping }), NOW).state;
    expect(state.admissions).toHaveLength(2);
    expect(state.retainMs).toBe(2 * 3600_000);
    const later = (ms: number) => new Date(NOW.getTime() + ms);
    expect(pruned(state, later(2 * 3600_000 - 1), 30 * 86_400_000).admissions).toHaveLength(2);
    expect(pruned(state, later(2 * 3600_000), 30 * 86_400_000).admissions).toHaveLength(0);
    // State from before retention existed keeps the schema's longest window.
    const old: ControlState = { ...EMPTY_CONTROL_STATE, admissions: state.admissions };
    expect(pruned(old, later(29 * 86_400_000), 30 * 86_400_000).admissions).toHaveLength(2);
  });
});

describe('policy allow-lists and tags', () => {
  it('exempts listed accounts and resource patterns', () => {
    expect(allowListExemption({ accounts: ['123456789012'] }, bucket('x'))).toMatch(/account 123456789012/);
    expect(allowListExemption({ resources: ['legacy-*'] }, bucket('legacy-a'))).toMatch(/\(legacy-\*\)/);
    expect(allowListExemption({ resources: ['legacy-*'] }, bucket('new'))).toBeUndefined();
    expect(allowListExemption(undefined, bucket('new'))).toBeUndefined();
  });

  it('names what manages a resource from its tags', () => {
    expect(managedBy({ 'aws:cloudformation:stack-name': 'web' })).toBe('CloudFormation stack web');
    expect(managedBy({ ManagedBy: 'terraform' })).toBe('ManagedBy=terraform');
    expect(managedBy({ Name: 'cdk-demo' })).toBeUndefined();
  });
});

describe('CLI parsing', () => {
  it('reads expiries as ISO times or durations, and refuses the past', () => {
    expect(parseUntil('7d', NOW)).toBe('2026-12-06T10:00:00.000Z');
    expect(parseUntil('30m', NOW)).toBe('2026-11-29T10:30:00.000Z');
    expect(parseUntil('2026-12-24T00:00:00Z', NOW)).toBe('2026-12-24T00:00:00.000Z');
    expect(() => parseUntil('2026-01-01T00:00:00Z', NOW)).toThrow(/in the past/);
    expect(() => parseUntil('forever', NOW)).toThrow(/neither a time/);
  });

  it('reads a resource key or a workflow id', () => {
    expect(exemptionResource('remediation/123456789012/ap-northeast-1/AWS::S3::Bucket/b')).toBe(
      '123456789012/ap-northeast-1/AWS::S3::Bucket/b',
    );
    expect(exemptionResource('*/*/AWS::S3::Bucket/legacy-*')).toBe('*/*/AWS::S3::Bucket/legacy-*');
    expect(() => exemptionResource('my-bucket')).toThrow(/is not a resource/);
  });
});

describe('status list query', () => {
  it('builds the visibility query from validated filters', () => {
    expect(
      listQuery({ status: 'ESCALATED', playbook: 's3-block-public-access', account: '123456789012' }),
    ).toBe(
      "WorkflowType IN ('remediationWorkflow', 'rollbackWorkflow') AND ExecutionStatus = 'Running' AND RemediationStatus = 'ESCALATED' AND Playbook = 's3-block-public-access' AND AwsAccount = '123456789012'",
    );
    expect(listQuery({ recentMs: 3600_000 }, NOW)).toBe(
      "WorkflowType IN ('remediationWorkflow', 'rollbackWorkflow') AND StartTime >= '2026-11-29T09:00:00.000Z'",
    );
  });

  it('refuses values that could change the query', () => {
    expect(() => listQuery({ status: "X' OR '1'='1" })).toThrow(/is not a status/);
    expect(() => listQuery({ playbook: 'nope' })).toThrow(/is not one of/);
    expect(() => listQuery({ account: '12' })).toThrow(/12-digit/);
  });
});
