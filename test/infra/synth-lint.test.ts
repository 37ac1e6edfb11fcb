/**
 * `cdk synth` of the real app (the CLI, cdk.json, context flags) and cfn-lint over every template it writes: once
 * with the defaults, once with every option on. cfn-lint comes from scripts/ensure-cfn-lint.sh (CFN_LINT_PATH);
 * without it this suite fails rather than skips.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(__dirname, '../..');
const CFN_LINT = process.env.CFN_LINT_PATH;

const VARIANTS: Record<string, string[]> = {
  defaults: [],
  everything: [
    'service=mtls',
    'policyPathInImage=/app/policy/policy.yaml',
    'configRules=all',
    'highCpuGroup=web-asg',
    'recoveryInstances=i-0123456789abcdef0,i-0fedcba9876543210',
    'alarmNames=legacy-cpu-alarm',
    'organizationId=o-abc123def45',
    'auditObjectLockDays=365',
    'centralAccount=123456789012',
    'centralRegion=ap-northeast-1',
    'externalId=remediator-prod-7f3a',
  ],
  apiKeyService: ['service=api-key'],
};

const outDirs: string[] = [];
afterAll(() => outDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function synth(context: string[]): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'cdk-out-'));
  outDirs.push(out);
  await run('npx', ['cdk', 'synth', '--quiet', '--output', out, ...context.flatMap((c) => ['-c', c])], {
    cwd: ROOT,
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', CDK_DISABLE_CLI_TELEMETRY: 'true' },
  });
  return out;
}

it('has cfn-lint (scripts/ensure-cfn-lint.sh sets CFN_LINT_PATH)', () => {
  expect(CFN_LINT).toBeTruthy();
});

it.each(Object.entries(VARIANTS))(
  'synthesizes the app (%s) into templates cfn-lint finds nothing wrong with',
  async (name, context) => {
    const out = await synth(context);
    const templates = readdirSync(out).filter((f) => f.endsWith('.template.json'));
    const expected =
      name === 'everything'
        ? [
            'RemediatorCentral',
            'RemediatorMemberForwarding',
            'RemediatorMemberRole',
            'RemediatorSeedDetections',
          ]
        : ['RemediatorCentral'];
    expect(templates.map((t) => t.replace('.template.json', '')).sort()).toEqual(expected);
    const lint = await run(
      CFN_LINT as string,
      templates.map((t) => join(out, t)),
    ).then(
      (r) => ({ code: 0, output: r.stdout + r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({
        code: e.code,
        output: e.stdout + e.stderr,
      }),
    );
    expect(lint).toEqual({ code: 0, output: '' });
  },
  120_000,
);

it('fails the synth naming the context key when a value is wrong', async () => {
  await expect(synth(['service=oauth'])).rejects.toThrow(/context service: api-key or mtls, got 'oauth'/);
  await expect(synth(['centralAccount=123456789012'])).rejects.toThrow(/externalId .* is required/);
}, 120_000);
