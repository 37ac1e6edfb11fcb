/**
 * A worker killed (SIGKILL) after the AWS change but before the activity completed: a second worker retries the
 * step, which finds the change done by the earlier attempt (recorded as this remediation's change, so a rollback
 * would undo it), and the recorded prior state is still the original.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { GetPublicAccessBlockCommand } from '@aws-sdk/client-s3';
import { remediationWorkflowId } from '../../src/domain/finding';
import type { RemediationResult } from '../../src/domain/remediation';
import { createBucket } from '../helpers/aws';
import { fastSettings, s3Finding } from '../helpers/fixtures';
import { startWorkflowStack } from '../helpers/workflow-stack';
import type { WorkflowStack } from '../helpers/workflow-stack';
import { dispatcherWith } from '../helpers/worker-policies';

let stack: WorkflowStack;
beforeAll(async () => {
  stack = await startWorkflowStack();
});
afterAll(async () => {
  await stack?.stop();
});

function waitForLine(child: ReturnType<typeof spawn>, line: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`no '${line}' within ${timeoutMs} ms; stderr: ${err}`)),
      timeoutMs,
    );
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(line)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`crashing worker exited early (${code}): ${err}`)));
  });
}

it('keeps the original prior state when the worker dies between the change and the activity completion', async () => {
  // Prepare
  const taskQueue = `crash-${randomUUID()}`;
  const bucket = `crash-${randomUUID().slice(0, 8)}`;
  await createBucket(stack.raw.s3, bucket);
  // `node --import tsx` (not the tsx launcher, which forks) so SIGKILL hits the worker process itself.
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(__dirname, 'support/crashing-worker.ts'),
      JSON.stringify({
        address: stack.env.address,
        namespace: stack.env.namespace ?? 'default',
        taskQueue,
        motoEndpoint: stack.moto.endpoint,
        notifyTopicArn: stack.resources.notifyTopicArn,
        oncallTopicArn: stack.resources.oncallTopicArn,
      }),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const applied = waitForLine(child, 'APPLIED', 60_000);
  const finding = s3Finding(bucket);
  await dispatcherWith(stack.env.client, taskQueue, fastSettings({ activityTimeoutMs: 4000 })).start({
    finding,
    playbook: 's3-block-public-access',
  });

  // Act: the change reached S3, then the worker dies; a fresh worker takes over after the activity timeout.
  await applied;
  const blockAfterCrash = await stack.raw.s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
  child.kill('SIGKILL');
  const worker = await stack.worker(taskQueue, stack.activities());
  const result: RemediationResult = await worker.runUntil(
    stack.env.client.workflow.getHandle(remediationWorkflowId(finding.resource)).result(),
  );

  // Assess
  expect(blockAfterCrash.PublicAccessBlockConfiguration?.BlockPublicAcls).toBe(true);
  expect([result.status, result.outcomes[0]?.reason]).toEqual(['REMEDIATED', expect.any(String)]);
  const [outcome] = result.outcomes;
  expect(outcome?.prior).toEqual({ publicAccessBlock: null });
  expect(outcome?.changes).toEqual([
    expect.objectContaining({
      step: 'put-public-access-block',
      changed: true,
      detail: expect.stringMatching(/^done by an earlier attempt/),
      prior: { publicAccessBlock: null },
    }),
  ]);
  expect(outcome?.verification?.passed).toBe(true);
});
