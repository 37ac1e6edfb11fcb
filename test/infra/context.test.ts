/** The CDK app's context options: defaults, lists, and errors that name the key. */
import { SEED_CONFIG_RULES } from '../../infra/lib/seed-detections';
import { ContextError, readContext } from '../../infra/lib/context';

const from = (values: Record<string, unknown>) => readContext((key) => values[key]);

it('defaults to no services, no seed detections and the standard role names', () => {
  expect(from({})).toEqual({
    configRules: [],
    recoveryInstances: [],
    alarmNames: [],
    workerRoleName: 'RemediatorWorker',
    memberRoleName: 'RemediatorMemberRole',
  });
});

it('accepts a member role name that leaves room for the longest family suffix', () => {
  expect(from({ memberRoleName: 'R'.repeat(51) }).memberRoleName).toHaveLength(51);
});

it('reads lists given with commas (-c) or as arrays (cdk.json), and `all` seed rules', () => {
  const context = from({
    configRules: 'all',
    recoveryInstances: 'i-0123456789abcdef0, i-0fedcba9876543210',
    alarmNames: ['a', 'b'],
    auditObjectLockDays: '365',
    service: 'api-key',
  });
  expect([...context.configRules].sort()).toEqual(Object.keys(SEED_CONFIG_RULES).sort());
  expect(context.configRules).toContain('cmk-backing-key-rotation-enabled');
  expect(context.recoveryInstances).toEqual(['i-0123456789abcdef0', 'i-0fedcba9876543210']);
  expect(context.alarmNames).toEqual(['a', 'b']);
  expect(context.auditObjectLockDays).toBe(365);
  expect(context.service).toBe('api-key');
  expect(from({ configRules: 'restricted-ssh,ec2-imdsv2-check' }).configRules).toEqual([
    'restricted-ssh',
    'ec2-imdsv2-check',
  ]);
});

it.each([
  [{ configRules: 'restricted-rdp' }, /context configRules: 'restricted-rdp' is not a seed rule/],
  [{ recoveryInstances: 'web-1' }, /context recoveryInstances: instance ids, got 'web-1'/],
  [{ organizationId: 'acme' }, /context organizationId/],
  [{ centralAccount: '1234' }, /context centralAccount: a 12-digit account id/],
  [{ auditObjectLockDays: '-3' }, /context auditObjectLockDays/],
  [{ memberRoleName: 'bad role' }, /context memberRoleName/],
  // -Availability (13 characters) must still fit in IAM's 64.
  [{ memberRoleName: 'R'.repeat(52) }, /context memberRoleName: a role name of at most 51 characters/],
])('refuses %j', (values, message) => {
  expect(() => from(values)).toThrow(ContextError);
  expect(() => from(values)).toThrow(message);
});
