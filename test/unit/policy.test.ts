/**
 * The policy file: every example parses, every error names its line and field, unsafe combinations are refused, and
 * per-control overrides resolve over the playbook's settings.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOGUE_SHAPES } from '../../src/playbooks/catalogue';
import { resolveExecutionSettings, settingsFor } from '../../src/domain/policy';
import { parsePolicyText, PolicyError } from '../../src/policy/load-policy';

const EXAMPLES = join(__dirname, '../../examples');
const example = readFileSync(join(EXAMPLES, 'policy.yaml'), 'utf8');

function errorOf(text: string): string {
  try {
    parsePolicyText(text, 'test.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return (err as Error).message;
  }
  throw new Error('the policy was accepted');
}

it('parses the full example and the fast example', () => {
  const full = parsePolicyText(example, 'policy.yaml');
  expect(full.playbooks['asg-scale-out']).toMatchObject({
    onVerifyFailure: 'rollback',
    healthGuard: { bakeTimeMs: 600000 },
  });
  expect(full.crossAccount).toEqual({
    roleName: 'RemediatorMemberRole',
    externalId: 'remediator-prod',
    sessionDurationSeconds: 3600,
  });
  const fast = parsePolicyText(readFileSync(join(EXAMPLES, 'policy-fast.yaml'), 'utf8'), 'policy-fast.yaml');
  expect(fast.defaults.propagationWaitMs).toBe(0);
});

it('names the line and the field of a wrong value and of an unknown key', () => {
  const text = example
    .replace('  mode: auto #', '  mode: sometimes #')
    .replace('    propagationWaitMs: 10000\n', '    propagationWaitMs: 10000\n    propagatonWait: 5\n');
  const message = errorOf(text);
  const lineOf = (needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
  expect(message).toContain(`line ${lineOf('mode: sometimes')}: defaults.mode:`);
  expect(message).toContain(
    `line ${lineOf('propagatonWait')}: playbooks.ec2-isolate-instance.propagatonWait:`,
  );
});

it('names the line of a YAML syntax error', () => {
  expect(errorOf('version: 1\ncooldownMs: [1, 2\n')).toMatch(
    /not valid YAML\/JSON:\n {2}line \d+, column \d+:/,
  );
});

it("refuses 'rollback' on verification failure for a security playbook unless insisted on", () => {
  const text = example.replace(
    '  iam-contain-access-key:\n',
    '  iam-contain-access-key:\n    onVerifyFailure: rollback\n',
  );
  expect(errorOf(text)).toMatch(
    /line \d+: playbooks\.iam-contain-access-key\.onVerifyFailure: 'rollback' is for availability playbooks/,
  );
  const insisted = text.replace(
    '    onVerifyFailure: rollback\n',
    '    onVerifyFailure: rollback\n    allowSecurityRollback: true\n',
  );
  expect(parsePolicyText(insisted, 'x').playbooks['iam-contain-access-key']?.onVerifyFailure).toBe(
    'rollback',
  );
  expect(errorOf(example.replace('    mode: approve\n', '    onVerifyFailure: rollback\n'))).toMatch(
    /controls\.restricted-common-ports\.onVerifyFailure/,
  );
});

it('resolves per-control overrides over the playbook settings, by control or managed rule', () => {
  const settings = resolveExecutionSettings(parsePolicyText(example, 'x'), CATALOGUE_SHAPES);
  expect(settingsFor(settings, 'sg-close-admin-ports', 'restricted-ssh')?.mode).toBe('auto');
  expect(settingsFor(settings, 'sg-close-admin-ports', 'restricted-common-ports')?.mode).toBe('approve');
  expect(
    settingsFor(
      settings,
      'sg-close-admin-ports',
      'securityhub-restricted-common-ports-9a8b',
      'restricted-common-ports',
    )?.mode,
  ).toBe('approve');
  expect(settingsFor(settings, 'ec2-isolate-instance', 'x')?.propagationWaitMs).toBe(10000);
  expect(settingsFor(settings, 'no-such-playbook', 'x')).toBeUndefined();
});
