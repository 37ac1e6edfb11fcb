/**
 * The README's demo, as a newcomer runs it (headless here): its own local stack, the seed event, the remediated bucket.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

it('`remediator demo` remediates the public bucket and prints the outcome with the Temporal UI link', async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, '../../src/cli.ts'), 'demo', '--headless'],
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
  expect(out).toMatch(
    /Temporal UI: +http:\/\/\S+\/namespaces\/default\/workflows\/remediation%2F123456789012%2F/,
  );
  expect(code).toBe(0);
});
