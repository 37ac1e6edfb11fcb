/**
 * What the kit derives from a playbook's declaration: its routes, its default mode, the Security Hub resource type
 * and the managed rule it answers to, the id shape the ingest guard accepts, and its shape in the worker's settings.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveExecutionSettings, moreCareful } from '../../src/domain/policy';
import type { RemediationPolicy } from '../../src/domain/policy';
import { definePlaybook } from '../../src/kit/playbook-kit';
import { MANAGED_RULE_CONTROLS } from '../../src/ingest/config-rule-resolver';
import { parseMessageBody } from '../../src/ingest/envelope';
import { singleFinding } from '../../src/ingest/normalise';
import { resourceProblem } from '../../src/ingest/resource-guard';
import { findRoute } from '../../src/ingest/router';
import {
  CATALOGUE,
  CATALOGUE_SHAPES,
  kitDefinition,
  PORTED_PLAYBOOK_IDS,
} from '../../src/playbooks/catalogue';
import { kitRoutes } from '../../src/playbooks/kit-routes';
import { kmsKeyRotation } from '../../src/playbooks/kms-key-rotation';
import { KIT_PLAYBOOKS } from '../../src/playbooks';
import { isPlaybookId, PLAYBOOKS } from '../../src/domain/playbooks';
import type { PlaybookDefinition, PlaybookId } from '../../src/domain/playbooks';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';
import { parsePolicyText } from '../../src/policy/load-policy';
import { z } from 'zod';

const EVENTS = join(__dirname, '../../examples/events');
const findingOf = (fixture: string) =>
  singleFinding(parseMessageBody(readFileSync(join(EVENTS, fixture), 'utf8')));

it('routes each Config rule and Security Hub control a playbook declares to it', () => {
  expect(kitRoutes(kmsKeyRotation)).toEqual([
    { source: 'aws.config', controls: ['cmk-backing-key-rotation-enabled'], playbook: 'kms-key-rotation' },
    { source: 'aws.securityhub', controls: ['KMS.4'], playbook: 'kms-key-rotation' },
  ]);
  for (const fixture of ['config-kms-key-rotation-noncompliant.json', 'securityhub-kms.4-failed.json']) {
    expect(findRoute(findingOf(fixture), DEFAULT_POLICY)?.playbook).toBe('kms-key-rotation');
  }
});

it('adds the declared routes after a policy file’s own, unless it says routeDeclaredTriggers: false', () => {
  const text = (extra: string) =>
    [
      'version: 1',
      'cooldownMs: 1000',
      extra,
      'routes:',
      '  - source: aws.securityhub',
      '    controls: [KMS.4]',
      '    playbook: ebs-encryption-by-default',
      'defaults:',
      '  mode: auto',
      '  propagationWaitMs: 0',
      '  activityTimeoutMs: 1000',
      '  retry: { initialIntervalMs: 1000, backoffCoefficient: 2, maximumAttempts: 2, maximumIntervalMs: 1000 }',
    ].join('\n');
  const withDeclared = parsePolicyText(text(''), 'p');
  const kms = findingOf('securityhub-kms.4-failed.json');
  // The file's own route wins over the declared one.
  expect(findRoute(kms, withDeclared)?.playbook).toBe('ebs-encryption-by-default');
  expect(findRoute(findingOf('config-kms-key-rotation-noncompliant.json'), withDeclared)?.playbook).toBe(
    'kms-key-rotation',
  );
  const listedOnly = parsePolicyText(text('routeDeclaredTriggers: false'), 'p');
  expect(listedOnly.routes).toHaveLength(1);
  expect(findRoute(findingOf('config-kms-key-rotation-noncompliant.json'), listedOnly)).toBeUndefined();
});

it('maps Security Hub’s resource type and a managed rule deployed under another name to the playbook', () => {
  expect(findingOf('securityhub-kms.4-failed.json').resource).toMatchObject({
    resourceType: 'AWS::KMS::Key',
    resourceId: '0f1e2d3c-4b5a-4978-8a7b-6c5d4e3f2a10',
  });
  expect(MANAGED_RULE_CONTROLS['CMK_BACKING_KEY_ROTATION_ENABLED']).toBe('cmk-backing-key-rotation-enabled');
  expect(MANAGED_RULE_CONTROLS['EC2_EBS_ENCRYPTION_BY_DEFAULT']).toBe('ec2-ebs-encryption-by-default');
});

it('accepts only the id shape the playbook declares for its resource type', () => {
  const key = (resourceId: string) => ({
    account: '123456789012',
    region: 'ap-northeast-1',
    resourceType: 'AWS::KMS::Key',
    resourceId,
  });
  expect(resourceProblem(key('0f1e2d3c-4b5a-4978-8a7b-6c5d4e3f2a10'), 'kms-key-rotation')).toBeUndefined();
  expect(resourceProblem(key('mrk-1234567890abcdef1234567890abcdef'), 'kms-key-rotation')).toBeUndefined();
  expect(resourceProblem(key('alias/aws/s3'), 'kms-key-rotation')).toMatch(/not a valid AWS::KMS::Key id/);
  expect(
    resourceProblem(
      { ...key('0f1e2d3c-4b5a-4978-8a7b-6c5d4e3f2a10'), resourceType: 'AWS::S3::Bucket' },
      'kms-key-rotation',
    ),
  ).toMatch(/acts on AWS::KMS::Key/);
});

it('sends every catalogue playbook’s shape with the settings, and a declared default mode never loosens the policy', () => {
  const risky = definePlaybook({
    ...kmsKeyRotation,
    id: 'risky-fix',
    defaultMode: 'approve',
    state: z.object({ rotationEnabled: z.boolean() }),
    read: () => Promise.resolve({ rotationEnabled: false }),
    describe: () => 'test',
    cannotFix: undefined,
    steps: [
      {
        ...kmsKeyRotation.steps[0]!,
        plan: () => 'x',
        apply: () => Promise.resolve({ changed: true, detail: '' }),
        undo: () => Promise.resolve({ changed: false, detail: '' }),
      },
    ],
  });
  const catalogue = { ...CATALOGUE_SHAPES, 'risky-fix': kitDefinition(risky) };
  const settings = (policy: RemediationPolicy) => resolveExecutionSettings(policy, catalogue).playbooks;

  const auto = settings(DEFAULT_POLICY);
  expect(auto['kms-key-rotation']?.shape).toEqual({
    kind: 'configuration',
    steps: [{ id: 'enable-key-rotation', onFailure: 'compensate' }],
  });
  expect(Object.keys(auto).sort()).toEqual(Object.keys(catalogue).sort());
  expect(auto['risky-fix']?.mode).toBe('approve');
  expect(auto['kms-key-rotation']?.mode).toBe('auto');
  // The policy's defaults only make it more careful; naming the playbook's mode decides.
  expect(
    settings({ ...DEFAULT_POLICY, defaults: { ...DEFAULT_POLICY.defaults, mode: 'dryRun' } })['risky-fix']
      ?.mode,
  ).toBe('dryRun');
  expect(
    settings({ ...DEFAULT_POLICY, playbooks: { 'risky-fix': { mode: 'auto' } } })['risky-fix']?.mode,
  ).toBe('auto');
  expect(moreCareful('notify', 'approve')).toBe('notify');
});

it('catalogues a kit playbook with the definition its declaration gives', () => {
  expect(CATALOGUE['kms-key-rotation']).toEqual({
    id: 'kms-key-rotation',
    title: 'Turn on automatic rotation of a customer managed KMS key',
    kind: 'configuration',
    roleFamily: 'configuration',
    resourceTypes: ['AWS::KMS::Key'],
    defaultSeverity: 5,
    defaultMode: 'auto',
    steps: [{ id: 'enable-key-rotation', title: 'EnableKeyRotation', onFailure: 'compensate' }],
  });
  // No steps: only a playbook that says why a person must act (an escalation-only playbook).
  expect(() => definePlaybook({ ...kmsKeyRotation, cannotFix: undefined, steps: [] })).toThrow(
    /has no steps/,
  );
  expect(definePlaybook({ ...kmsKeyRotation, steps: [] }).steps).toEqual([]);
  expect(() =>
    definePlaybook({ ...kmsKeyRotation, steps: [kmsKeyRotation.steps[0]!, kmsKeyRotation.steps[0]!] }),
  ).toThrow(/repeats step\(s\) enable-key-rotation/);
});

it('a playbook ported onto the kit keeps the catalogue entry its recorded histories replay with', () => {
  // Workflows recorded before the worker sent shapes read them from PLAYBOOKS: a port must not change a step.
  const ported = KIT_PLAYBOOKS.filter((p) => isPlaybookId(p.id));
  expect(ported.map((p) => p.id).sort()).toEqual([...PORTED_PLAYBOOK_IDS].sort());
  expect(ported).toHaveLength(8);
  for (const playbook of ported) {
    const { defaultMode, ...entry } = kitDefinition(playbook);
    const legacy: PlaybookDefinition = PLAYBOOKS[playbook.id as PlaybookId];
    expect(entry).toEqual(legacy);
    expect(defaultMode).toBe(legacy.defaultMode ?? 'auto');
  }
});

it('lets only containment repair what it finds undone during verification', () => {
  const repairOnVerify = () => Promise.resolve([]);
  expect(() => definePlaybook({ ...kmsKeyRotation, repairOnVerify })).toThrow(/not containment/);
  expect(definePlaybook({ ...kmsKeyRotation, kind: 'containment', repairOnVerify }).repairOnVerify).toBe(
    repairOnVerify,
  );
});
