/**
 * `remediator setup-local` (the one-shot `setup` service of docker-compose.yml) against a real moto: it creates
 * everything the worker and ingest bridge need, a second run finds the same resources, and the addresses it prints
 * for the Compose network are the ones docker-compose.yml hands the worker and the ingest bridge.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { parse } from 'yaml';
import type { MotoServer } from '../../src/devstack/moto-server';
import { FIXTURE_REGION, rawClients } from '../helpers/aws';
import { startSuiteMoto } from '../helpers/servers';

const ROOT = join(__dirname, '../..');
const CLI = join(ROOT, 'src/cli.ts');

let moto: MotoServer;
beforeAll(async () => {
  moto = await startSuiteMoto();
});
afterAll(async () => {
  await moto?.stop();
});

/** Runs the CLI as the container does (`remediator setup-local`), with only the given environment. */
async function remediator(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', CLI, ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env } },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** The `export NAME=value` lines of setup-local's output. */
function exported(stdout: string): Record<string, string> {
  return Object.fromEntries([...stdout.matchAll(/^export (\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
}

const emulatorEnv = (): Record<string, string> => ({
  AWS_REGION: FIXTURE_REGION,
  AWS_ENDPOINT_URL: moto.endpoint,
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
});

it('creates the queue, DLQ, rule, topics and bucket, and a second run finds the same ones', async () => {
  // Act: twice, as `docker compose up` does on every start.
  const first = await remediator(['setup-local'], emulatorEnv());
  const second = await remediator(['setup-local'], emulatorEnv());

  // Assess: same output both times, naming every variable the worker and ingest read.
  expect(first.code).toBe(0);
  expect(second.stdout).toBe(first.stdout);
  const vars = exported(first.stdout);
  expect(Object.keys(vars).sort()).toEqual(
    ['AUDIT_BUCKET', 'INGEST_DLQ_URL', 'INGEST_QUEUE_URL', 'NOTIFY_TOPIC_ARN', 'ONCALL_TOPIC_ARN'].sort(),
  );

  // Assess: the resources exist on moto, wired as the product expects, and nothing was duplicated.
  const raw = rawClients(moto.endpoint);
  const ingest = await raw.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: vars.INGEST_QUEUE_URL, AttributeNames: ['RedrivePolicy'] }),
  );
  const dlq = await raw.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: vars.INGEST_DLQ_URL, AttributeNames: ['QueueArn'] }),
  );
  expect(JSON.parse(ingest.Attributes?.RedrivePolicy ?? '{}').deadLetterTargetArn).toBe(
    dlq.Attributes?.QueueArn,
  );
  for (const topic of [vars.NOTIFY_TOPIC_ARN, vars.ONCALL_TOPIC_ARN]) {
    const subs = await raw.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topic }));
    expect(subs.Subscriptions?.map((s) => s.Protocol)).toEqual(['sqs']);
  }
  const targets = await raw.events.send(new ListTargetsByRuleCommand({ Rule: 'remediator-detector-events' }));
  expect(targets.Targets?.map((t) => t.Id)).toEqual(['ingest-queue']);
  await expect(raw.s3.send(new HeadBucketCommand({ Bucket: vars.AUDIT_BUCKET }))).resolves.toBeDefined();
  Object.values(raw).forEach((client) => client.destroy());
});

it('prints, for the Compose network, exactly the addresses docker-compose.yml gives the worker and ingest', async () => {
  // Prepare: what setup-local printed here, with moto's address as the containers see it (moto builds queue URLs
  // from the request's host, so only the origin differs).
  const { stdout } = await remediator(['setup-local'], emulatorEnv());
  const printed = exported(stdout.replaceAll(moto.endpoint, 'http://moto:5000'));
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, { environment?: Record<string, string> }>;
  };

  // Assess: every address a service is given is the one setup-local creates.
  for (const name of ['worker', 'ingest']) {
    const env = compose.services[name]?.environment ?? {};
    const given = Object.entries(env).filter(([key]) => key in printed);
    expect(given.length).toBeGreaterThan(0);
    for (const [key, value] of given) expect({ [key]: value }).toEqual({ [key]: printed[key] });
  }
});

it('refuses to run without AWS_ENDPOINT_URL (exit 2), and documents itself in --help', async () => {
  // Act
  const withoutEndpoint = emulatorEnv();
  delete withoutEndpoint.AWS_ENDPOINT_URL;
  const refused = await remediator(['setup-local'], withoutEndpoint);
  const help = await remediator(['setup-local', '--help'], {});

  // Assess
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain('AWS_ENDPOINT_URL is not set');
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('Idempotent');
  expect(help.stdout).toContain('--prefix <name>');
});
