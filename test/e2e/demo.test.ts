/**
 * The README's demo, as a newcomer runs it (headless here): its own local stack, the seed event, the remediated bucket.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

it('`remediator demo --all` remediates the public bucket and every other seed scenario (approval and scale-out included), printing outcomes and the UI link', async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, '../../src/cli.ts'), 'demo', '--all', '--headless'],
    {
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));

  expect(out).toContain('Outcome:        REMEDIATED');
  expect(out).toContain(
    'Bucket now:     {"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":true,"RestrictPublicBuckets":true}',
  );
  expect(out).toContain('Notification:   [REMEDIATED] s3-block-public-access on acme-marketing-assets');
  // The sample's detector times are sent as now: observation to fix is the sample's ~10 s lead plus the fix itself.
  expect(out).toMatch(/Time to fix: +\d+\.\ds from the detector's observation to the verified fix/);
  expect(out).toMatch(
    /Temporal UI: +http:\/\/\S+\/namespaces\/default\/workflows\/remediation%2F123456789012%2F/,
  );
  const scenarios = out.split('\n== ').slice(1);
  expect(scenarios).toHaveLength(10);
  for (const scenario of scenarios) expect(scenario).toContain('Outcome:        REMEDIATED');
  expect(out).toContain('EBS encryption by default: on');
  expect(out).toMatch(/ingress: tcp 22 from 10\.0\.0\.0\/8\n/);
  expect(out).toMatch(/network interface groups: remediator-isolation-vpc-/);
  expect(out).toMatch(/ci-deployer keys: AKIA\w+ Inactive/);
  // Crypto-mining: isolated, still running (memory is evidence).
  expect(out).toMatch(/CryptoCurrency[^]*\(running\) network interface groups: remediator-isolation-vpc-/);
  // Security Hub EC2.8 reached the instance through the ARN.
  expect(out).toMatch(/Security Hub EC2\.8[^]*?Now: +i-\w+: HttpTokens=required/);
  expect(out).toMatch(/Meanwhile: +Waited for approval; approved as \S+@\S+/);
  expect(out).toContain('Change:         raise-desired-capacity: desired capacity 1 → 2');
  expect(out).toContain('web-asg desired capacity: 2 (was 1, max 3)');
  expect(code).toBe(0);
});
