/**
 * Loading user playbooks from the modules a policy names (docs/architecture.md, User playbooks): the modules first,
 * then the policy against the catalogue with them; every mistake in a module or a path fails at start-up, named.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicy, parsePolicy, PolicyError } from '../../src/policy/load-policy';
import { checkDeclaration } from '../../src/playbooks/load-playbook-modules';
import { allPlaybookIds, definitionOf, kitPlaybookOf } from '../../src/playbooks/catalogue';
import { clearUserPlaybooks, userPlaybooks } from '../../src/playbooks/user-playbooks';
import { resourceProblem } from '../../src/ingest/resource-guard';
import { s3BucketVersioning } from '../../examples/playbooks/s3-bucket-versioning';

const EXAMPLE = join(__dirname, '../../examples/playbooks/s3-bucket-versioning.ts');

/** A CommonJS module exporting `body` (JavaScript source of the exports object). */
function moduleWith(dir: string, name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `module.exports = ${body};\n`);
  return file;
}

/** A minimal valid declaration as JavaScript source, with `patch` spread over it. */
const declaration = (patch = '') => `{
  id: 'team-thing', title: 'Fix a thing', kind: 'configuration', defaultMode: 'auto', roleFamily: 'configuration',
  resource: { type: 'AWS::SQS::Queue', idPattern: /^[\\w-]{1,80}$/ }, defaultSeverity: 4, triggers: {},
  iamActions: ['sqs:GetQueueAttributes'], state: { safeParse: () => ({ success: true }) },
  read: async () => ({}), describe: () => 'a thing',
  steps: [{ id: 'fix', title: 'Fix', onFailure: 'compensate', plan: () => undefined, apply: async () => ({}),
            undo: async () => ({}) }],
  ${patch}
}`;

const policyFile = (dir: string, extra: string) => {
  const file = join(dir, 'policy.yaml');
  writeFileSync(
    file,
    [
      'version: 1',
      'cooldownMs: 1000',
      'routes: []',
      'defaults: { mode: auto, propagationWaitMs: 0, activityTimeoutMs: 30000,',
      '  retry: { initialIntervalMs: 1000, backoffCoefficient: 2, maximumAttempts: 4, maximumIntervalMs: 10000 } }',
      extra,
    ].join('\n'),
  );
  return file;
};

let dir: string;
beforeEach(() => {
  clearUserPlaybooks();
  dir = mkdtempSync(join(tmpdir(), 'user-playbooks-'));
});
afterAll(() => clearUserPlaybooks());

it('loads the modules first, so the rest of the policy may name their playbooks', () => {
  const policy = loadPolicy(
    policyFile(
      dir,
      `playbookModules: [${JSON.stringify(EXAMPLE)}]\nplaybooks: { s3-bucket-versioning: { mode: approve } }`,
    ),
  );
  expect(policy.playbooks['s3-bucket-versioning']).toEqual({ mode: 'approve' });
  expect(userPlaybooks()).toEqual([s3BucketVersioning]);
  expect(allPlaybookIds()).toContain('s3-bucket-versioning');
  expect(definitionOf('s3-bucket-versioning')).toMatchObject({
    kind: 'configuration',
    resourceTypes: ['AWS::S3::Bucket'],
  });
  expect(kitPlaybookOf('s3-bucket-versioning')).toBe(s3BucketVersioning);
  // The declared triggers route, after the policy's own routes.
  expect(policy.routes).toContainEqual({
    source: 'aws.config',
    controls: ['s3-bucket-versioning-enabled'],
    playbook: 's3-bucket-versioning',
  });
  // The ingest guard knows its resource type and id shape.
  const where = { account: '123456789012', region: 'ap-northeast-1', resourceType: 'AWS::S3::Bucket' };
  expect(resourceProblem({ ...where, resourceId: 'acme-invoices' }, 's3-bucket-versioning')).toBeUndefined();
  expect(resourceProblem({ ...where, resourceId: 'Not_A_Bucket!' }, 's3-bucket-versioning')).toMatch(
    /not a valid/,
  );
  // Loading the same policy again (a reload) is harmless.
  expect(() => loadPolicy(policyFile(dir, `playbookModules: [${JSON.stringify(EXAMPLE)}]`))).not.toThrow();
});

it('refuses settings for a playbook no module declares, naming the field', () => {
  expect(() => loadPolicy(policyFile(dir, 'playbooks: { s3-bucket-versioning: { mode: auto } }'))).toThrow(
    /playbooks\.s3-bucket-versioning/,
  );
});

it.each([
  ['a module that does not exist', () => './missing.js', /cannot load playbook module .*missing\.js/],
  [
    'a module that exports no playbook',
    () => moduleWith(dir, 'none.js', '{ answer: 42 }'),
    /exports no playbook/,
  ],
  [
    'a declaration without a read function',
    () => moduleWith(dir, 'noread.js', `{ p: ${declaration('read: 7,')} }`),
    /export 'p' is not a usable playbook:\n\s+read: must be a function/,
  ],
  [
    'a built-in id',
    () => moduleWith(dir, 'clash.js', `{ p: ${declaration("id: 'kms-key-rotation',")} }`),
    /id: is a built-in playbook/,
  ],
  [
    'a step id twice',
    () =>
      moduleWith(
        dir,
        'twice.js',
        `{ p: (() => { const d = ${declaration()}; d.steps = [d.steps[0], d.steps[0]]; return d; })() }`,
      ),
    /repeats step\(s\) fix/,
  ],
  [
    'an IAM action that is not one',
    () => moduleWith(dir, 'iam.js', `{ p: ${declaration("iamActions: ['everything'],")} }`),
    /iamActions\.0: an IAM action/,
  ],
  [
    'one id in two modules',
    () => {
      moduleWith(dir, 'a.js', `{ p: ${declaration()} }`);
      return `${moduleWith(dir, 'b.js', `{ p: ${declaration()} }`)}, ./a.js`;
    },
    /playbook team-thing is declared twice/,
  ],
])('fails at start-up, named, for %s', (_label, make, message) => {
  const modules = make();
  const load = () => loadPolicy(policyFile(dir, `playbookModules: [${modules}]`));
  expect(load).toThrow(PolicyError);
  expect(load).toThrow(message);
  expect(userPlaybooks()).toEqual([]);
});

it('refuses playbook modules in a policy that is not a file (their paths are relative to it)', () => {
  expect(() => parsePolicy({ playbookModules: ['./x.js'] }, 'inline')).toThrow(/needs a policy file/);
});

it('checks a declaration the way the worker does', () => {
  expect(checkDeclaration(s3BucketVersioning, 'example')).toBe(s3BucketVersioning);
  expect(() => checkDeclaration({ ...s3BucketVersioning, kind: 'magic' }, 'example')).toThrow(/kind:/);
});
