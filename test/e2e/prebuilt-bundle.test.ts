/**
 * The workflow bundle built ahead of time (as the container image does): `remediator bundle-workflows --out <file>`
 * writes it, and `remediator worker` with `WORKFLOW_BUNDLE_PATH=<file>` runs a remediation from it end to end against
 * the real dev server and moto. A variable that names no file is a configuration error naming the variable.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ConfigError, loadWorkerConfig } from '../../src/config';
import { remediationWorkflowId } from '../../src/domain/finding';
import type { RemediationResult } from '../../src/domain/remediation';
import { createBucket, publicAccessBlockOf } from '../helpers/aws';
import { fastSettings, s3Finding } from '../helpers/fixtures';
import { startWorkflowStack } from '../helpers/workflow-stack';
import type { WorkflowStack } from '../helpers/workflow-stack';
import { remediator } from '../helpers/cli-process';
import { dispatcherWith, policyFile } from '../helpers/worker-policies';

const dir = mkdtempSync(join(tmpdir(), 'workflow-bundle-'));

let stack: WorkflowStack;
beforeAll(async () => {
  stack = await startWorkflowStack();
});
afterAll(async () => {
  await stack?.stop();
});

function workerEnv(taskQueue: string, workflowBundlePath: string): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: stack.env.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: taskQueue,
    AWS_REGION: 'ap-northeast-1',
    AWS_ENDPOINT_URL: stack.moto.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    NOTIFY_TOPIC_ARN: stack.resources.notifyTopicArn,
    ONCALL_TOPIC_ARN: stack.resources.oncallTopicArn,
    AUDIT_BUCKET: stack.resources.auditBucket,
    WORKFLOW_BUNDLE_PATH: workflowBundlePath,
    // The worker's own policy: fast settings, the local stack's trust (a workflow takes no settings from its input).
    REMEDIATION_POLICY: policyFile(),
  };
}

it('a worker loads the bundle written by `remediator bundle-workflows` and remediates a bucket with it', async () => {
  // Prepare: the bundle, as `npm run bundle:workflows` builds it into the image.
  const codePath = join(dir, 'out', 'workflow-bundle.js');
  const bundling = remediator(['bundle-workflows', '--out', codePath], {});
  expect(await bundling.exited).toBe(0);
  expect(bundling.output()).toContain(`to ${codePath}`);
  expect(statSync(codePath).size).toBeGreaterThan(100_000);
  const taskQueue = `bundle-${randomUUID()}`;
  const bucket = `bundle-${randomUUID().slice(0, 8)}`;
  await createBucket(stack.raw.s3, bucket);
  const worker = remediator(['worker'], workerEnv(taskQueue, codePath));

  // Act
  await worker.waitFor('"message":"Worker started"', 60_000);
  const finding = s3Finding(bucket);
  await dispatcherWith(stack.env.client, taskQueue, fastSettings()).start({
    finding,
    playbook: 's3-block-public-access',
  });
  const result = await stack.env.client.workflow
    .getHandle(remediationWorkflowId(finding.resource))
    .result()
    .then((r) => r as RemediationResult);
  worker.kill('SIGTERM');

  // Assess: the worker said it runs the prebuilt bundle, the fix is done and verified, the worker stops cleanly.
  expect(worker.output()).toContain(`"workflowBundle":${JSON.stringify(codePath)}`);
  expect(result.status).toBe('REMEDIATED');
  expect(result.outcomes[0]?.verification?.passed).toBe(true);
  expect(await publicAccessBlockOf(stack.raw.s3, bucket)).toEqual({
    BlockPublicAcls: true,
    IgnorePublicAcls: true,
    BlockPublicPolicy: true,
    RestrictPublicBuckets: true,
  });
  expect(await worker.exited).toBe(0);
});

it('the worker runs the file it is given: one that is not a workflow bundle stops it at start', async () => {
  const notABundle = join(dir, 'not-a-bundle.js');
  writeFileSync(notABundle, 'this is not ( a workflow bundle\n');
  const worker = remediator(['worker'], workerEnv(`bundle-${randomUUID()}`, notABundle));
  expect(await worker.exited).toBe(1);
  // The SDK refuses it when it loads the file (a bundle carries its source map inline).
  expect(worker.output()).toContain("Can't extract inlined source map from the provided Workflow Bundle");
  expect(worker.output()).not.toContain('"message":"Worker started"');
});

it('refuses to start with exit code 2 when WORKFLOW_BUNDLE_PATH names no file, naming the variable', async () => {
  const missing = join(dir, 'missing', 'workflow-bundle.js');
  const worker = remediator(['worker'], workerEnv('bundle-missing', missing));
  expect(await worker.exited).toBe(2);
  expect(worker.output()).toContain(
    `remediator: WORKFLOW_BUNDLE_PATH names a file that does not exist: '${missing}'`,
  );
  expect(worker.output()).toContain('remediator bundle-workflows --out <file>');
});

describe('loadWorkerConfig: WORKFLOW_BUNDLE_PATH', () => {
  const base = {
    AWS_REGION: 'eu-west-1',
    NOTIFY_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:notify',
    ONCALL_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:oncall',
  };

  it('is optional: without it the worker bundles at start', () => {
    expect(loadWorkerConfig(base).workflowBundlePath).toBeUndefined();
    expect(loadWorkerConfig({ ...base, WORKFLOW_BUNDLE_PATH: ' ' }).workflowBundlePath).toBeUndefined();
  });

  it('resolves an existing file to an absolute path', () => {
    const file = join(dir, 'exists.js');
    writeFileSync(file, '');
    const path = relative(process.cwd(), file);
    expect(path).not.toMatch(/^\//);
    expect(loadWorkerConfig({ ...base, WORKFLOW_BUNDLE_PATH: path }).workflowBundlePath).toBe(file);
  });

  it.each([
    [join(dir, 'nope.js'), /^WORKFLOW_BUNDLE_PATH names a file that does not exist: '.*nope\.js'/],
    [dir, /^WORKFLOW_BUNDLE_PATH must name a file, '.*' is not one/],
  ])('fails with a ConfigError naming the variable (%s)', (path, message) => {
    expect(() => loadWorkerConfig({ ...base, WORKFLOW_BUNDLE_PATH: path })).toThrow(ConfigError);
    expect(() => loadWorkerConfig({ ...base, WORKFLOW_BUNDLE_PATH: path })).toThrow(message);
  });
});
