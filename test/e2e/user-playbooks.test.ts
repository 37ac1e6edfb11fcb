/**
 * A user playbook end to end (docs/playbooks.md, Writing your own playbook): the example policy names the example
 * module in `playbookModules`; loading the policy loads and checks the module, then the policy's settings for it.
 * Then, as for a built-in playbook: PutEvents on moto's EventBridge → SQS → the ingest bridge → the workflow on the
 * Temporal dev server → the bucket's versioning on in moto.
 */
import { GetBucketVersioningCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RemediationPolicy } from '../../src/domain/policy';
import { loadPolicy } from '../../src/policy/load-policy';
import { resolveExecutionSettings } from '../../src/domain/policy';
import { catalogueShapes } from '../../src/playbooks/catalogue';
import { clearUserPlaybooks, userPlaybooks } from '../../src/playbooks/user-playbooks';
import { routeFinding } from '../../src/ingest/router';
import { parseMessageBody } from '../../src/ingest/envelope';
import { singleFinding } from '../../src/ingest/normalise';
import { createBucket } from '../helpers/aws';
import { remediateEvent, startPipeline } from '../helpers/e2e-pipeline';
import type { E2ePipeline } from '../helpers/e2e-pipeline';
import { startWorkflowStack } from '../helpers/workflow-stack';
import type { WorkflowStack } from '../helpers/workflow-stack';

const EXAMPLE_POLICY = join(__dirname, '../../examples/playbooks/policy.yaml');
/** The example's event, kept beside it (a user playbook's fixtures are the user's, not the built-in catalogue's). */
const exampleEvent = () =>
  JSON.parse(
    readFileSync(
      join(__dirname, '../../examples/playbooks/events/config-s3-bucket-versioning-noncompliant.json'),
      'utf8',
    ),
  ) as Record<string, unknown>;

let stack: WorkflowStack;
let pipeline: E2ePipeline;
let policy: RemediationPolicy;
beforeAll(async () => {
  clearUserPlaybooks();
  policy = { ...loadPolicy(EXAMPLE_POLICY), cooldownMs: 1000 };
  stack = await startWorkflowStack();
  pipeline = await startPipeline(stack, policy, 'e2e-user');
});
afterAll(async () => {
  await pipeline?.stop();
  await stack?.stop();
  clearUserPlaybooks();
});

it('loading the policy loads the module: its playbook is routed, has settings and a shape for the workflow', () => {
  expect(userPlaybooks().map((p) => p.id)).toEqual(['s3-bucket-versioning']);
  const settings = resolveExecutionSettings(policy, catalogueShapes());
  expect(settings.playbooks['s3-bucket-versioning']).toMatchObject({
    mode: 'auto',
    shape: { kind: 'configuration', steps: [{ id: 'enable-versioning', onFailure: 'compensate' }] },
  });
  const finding = singleFinding(parseMessageBody(JSON.stringify(exampleEvent())));
  expect(routeFinding(finding, policy)).toEqual({ action: 'start', playbook: 's3-bucket-versioning' });
});

it('s3-bucket-versioning (user playbook): PutEvents → versioning on in moto, verified', async () => {
  // Prepare: a bucket whose versioning was suspended, named by the fixture.
  const bucket = `user-pb-${Date.now().toString(36)}`;
  await createBucket(stack.raw.s3, bucket);
  await stack.raw.s3.send(
    new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Suspended' } }),
  );
  const text = JSON.stringify({ ...exampleEvent(), time: new Date().toISOString() });
  const event = JSON.parse(text.split('acme-invoices').join(bucket)) as Record<string, unknown>;

  // Act
  const { outcome } = await remediateEvent(
    stack,
    pipeline.bridge,
    event,
    'user playbook s3-bucket-versioning',
  );

  // Assess
  expect(outcome).toMatchObject({
    status: 'REMEDIATED',
    playbook: 's3-bucket-versioning',
    prior: { versioning: false, mfaDelete: false },
    verification: { passed: true },
  });
  const now = await stack.raw.s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
  expect(now.Status).toBe('Enabled');
});
