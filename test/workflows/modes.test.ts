/**
 * Policy modes on the real dev server with real activities against moto: `dryRun` and `notify` change nothing on the
 * target and say what the fix would be; a per-control override changes the mode of one control only.
 */
import { randomUUID } from 'node:crypto';
import { remediationWorkflowId } from '../../src/domain/finding';
import type { Finding } from '../../src/domain/finding';
import type { ExecutionSettings } from '../../src/domain/policy';
import type { RemediationResult } from '../../src/domain/remediation';
import { createBucket, drainQueue, publicAccessBlockOf } from '../helpers/aws';
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

async function run(finding: Finding, settings: ExecutionSettings): Promise<RemediationResult> {
  const taskQueue = `q-${randomUUID()}`;
  const worker = await stack.worker(taskQueue, stack.activities());
  return worker.runUntil(async () => {
    await dispatcherWith(stack.env.client, taskQueue, settings).start({
      finding,
      playbook: 's3-block-public-access',
    });
    return stack.env.client.workflow.getHandle(remediationWorkflowId(finding.resource)).result();
  });
}

const hasBlock = async (bucket: string): Promise<boolean> =>
  (await publicAccessBlockOf(stack.raw.s3, bucket)) !== null;

async function subjects(bucket: string): Promise<string[]> {
  const notes = await drainQueue(stack.raw.sqs, stack.resources.notifyInboxUrl, 1);
  return notes.map((m) => String(JSON.parse(m.Body ?? '{}').Subject)).filter((s) => s.includes(bucket));
}

it('dryRun records and notifies the plan, every call it would make, and changes nothing on the target', async () => {
  const bucket = `dry-${randomUUID().slice(0, 12)}`;
  await createBucket(stack.raw.s3, bucket);

  const result = await run(s3Finding(bucket), fastSettings({ mode: 'dryRun' }, 300));

  expect(result.status).toBe('DRY_RUN');
  expect(result.outcomes[0]).toMatchObject({
    reason: `dry run, nothing changed; would: PutPublicAccessBlock on ${bucket}: BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets = true`,
    changes: [],
  });
  expect(result.outcomes[0]?.prior).toBeUndefined();
  expect(await hasBlock(bucket)).toBe(false);
  expect(await subjects(bucket)).toEqual([
    `[DRY_RUN] s3-block-public-access on ${bucket} (123456789012/ap-northeast-1)`,
  ]);
});

it('notify mode tells people what is wrong and what the fix would be, and takes no action', async () => {
  const bucket = `notify-${randomUUID().slice(0, 12)}`;
  await createBucket(stack.raw.s3, bucket);

  const result = await run(s3Finding(bucket), fastSettings({ mode: 'notify' }, 300));

  expect(result.status).toBe('NO_ACTION');
  expect(result.outcomes[0]?.reason).toMatch(
    /^notify mode, nothing changed: .*; the fix would: PutPublicAccessBlock/,
  );
  expect(await hasBlock(bucket)).toBe(false);
  expect(await subjects(bucket)).toEqual([
    `[NO_ACTION] s3-block-public-access on ${bucket} (123456789012/ap-northeast-1)`,
  ]);
});

it('a per-control override changes the mode of that control only', async () => {
  const bucket = `ctl-${randomUUID().slice(0, 12)}`;
  await createBucket(stack.raw.s3, bucket);
  const settings: ExecutionSettings = {
    ...fastSettings({}, 300),
    controls: { 's3-bucket-public-write-prohibited': { mode: 'dryRun' } },
  };

  const write = await run(s3Finding(bucket, { control: 's3-bucket-public-write-prohibited' }), settings);
  // The first run has completed; the read control starts a new run of the same resource's execution.
  const read = await run(s3Finding(bucket), settings);

  expect([write.status, read.status]).toEqual(['DRY_RUN', 'REMEDIATED']);
  expect(await hasBlock(bucket)).toBe(true);
});
