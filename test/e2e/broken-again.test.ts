/**
 * End to end on real servers: a bucket fixed, then opened again by someone, is fixed again. Every event goes
 * PutEvents on moto's EventBridge → SQS → the ingest bridge → signal-with-start → the worker. Config's sequence
 * NON_COMPLIANT → (fix) → [COMPLIANT] → (re-opened) → NON_COMPLIANT, with and without the COMPLIANT, inside the
 * execution's cool-down (the same run fixes it again) and after it (a new run does).
 */
import { DeletePublicAccessBlockCommand } from '@aws-sdk/client-s3';
import { putEvent } from '../../src/commands/send-event';
import { remediationWorkflowId } from '../../src/domain/finding';
import type { RemediationPolicy } from '../../src/domain/policy';
import type { RemediationResult } from '../../src/domain/remediation';
import { parseMessageBody } from '../../src/ingest/envelope';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';
import { statusQuery } from '../../src/workflows/definitions';
import { createBucket, FIXTURE_ACCOUNT, FIXTURE_REGION, publicAccessBlockOf } from '../helpers/aws';
import { fixtureEvent } from '../helpers/fixtures';
import { startPipeline } from '../helpers/e2e-pipeline';
import type { E2ePipeline } from '../helpers/e2e-pipeline';
import { startWorkflowStack } from '../helpers/workflow-stack';
import type { WorkflowStack } from '../helpers/workflow-stack';

/** The seed policy, no propagation wait, and a cool-down long enough to send the next events into it. */
const POLICY: RemediationPolicy = {
  ...DEFAULT_POLICY,
  cooldownMs: 12_000,
  defaults: { ...DEFAULT_POLICY.defaults, propagationWaitMs: 0 },
};
const TASK_QUEUE = 'e2e-broken-again';

let stack: WorkflowStack;
let pipeline: E2ePipeline;

beforeAll(async () => {
  stack = await startWorkflowStack();
  pipeline = await startPipeline(stack, POLICY, TASK_QUEUE);
});
afterAll(async () => {
  await pipeline?.stop();
  await stack?.stop();
});

/** Puts a Config compliance change for `bucket` on EventBridge, evaluated now. */
async function configEvent(bucket: string, compliance: 'NON_COMPLIANT' | 'COMPLIANT'): Promise<void> {
  const fixture =
    compliance === 'COMPLIANT'
      ? 'config-s3-bucket-public-read-compliant.json'
      : 'config-s3-bucket-public-read-noncompliant.json';
  const event = fixtureEvent(fixture, { resourceId: bucket }) as { detail: Record<string, unknown> };
  const result = event.detail['newEvaluationResult'] as {
    evaluationResultIdentifier: Record<string, unknown>;
  };
  const evaluatedAt = new Date().toISOString();
  const patched = {
    ...event,
    id: `evt-${bucket}-${compliance}-${evaluatedAt}`,
    detail: {
      ...event.detail,
      newEvaluationResult: {
        ...result,
        evaluationResultIdentifier: { ...result.evaluationResultIdentifier, orderingTimestamp: evaluatedAt },
        resultRecordedTime: evaluatedAt,
      },
    },
  };
  await putEvent(stack.raw.events, parseMessageBody(JSON.stringify(patched)), 'default');
}

const handleOf = (bucket: string, runId?: string) =>
  stack.env.client.workflow.getHandle(
    remediationWorkflowId({
      account: FIXTURE_ACCOUNT,
      region: FIXTURE_REGION,
      resourceType: 'AWS::S3::Bucket',
      resourceId: bucket,
    }),
    runId,
  );

/** Waits until the resource's current run has `count` outcomes (a new run, if `otherThan` names the old one). */
async function outcomes(bucket: string, count: number, otherThan?: string): Promise<{ runId: string }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const handle = handleOf(bucket);
      const { runId, status } = await handle.describe();
      if (runId !== otherThan && status.name === 'RUNNING') {
        if ((await handle.query(statusQuery)).outcomes.length >= count) return { runId };
      }
    } catch (err) {
      if ((err as Error).name !== 'WorkflowNotFoundError') throw err;
    }
    if (Date.now() > deadline) throw new Error(`${bucket}: no ${count} outcomes in time`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const reopen = (bucket: string) => stack.raw.s3.send(new DeletePublicAccessBlockCommand({ Bucket: bucket }));

it('inside the cool-down: fixed again by the same run, without and then with a COMPLIANT in between', async () => {
  // Prepare
  const bucket = `again-${Date.now()}`;
  await createBucket(stack.raw.s3, bucket);

  // Act
  await configEvent(bucket, 'NON_COMPLIANT');
  const { runId } = await outcomes(bucket, 1);
  await reopen(bucket);
  await configEvent(bucket, 'NON_COMPLIANT');
  await outcomes(bucket, 2);
  await configEvent(bucket, 'COMPLIANT');
  await reopen(bucket);
  await configEvent(bucket, 'NON_COMPLIANT');
  await outcomes(bucket, 3);
  const result = (await handleOf(bucket, runId).result()) as RemediationResult;

  // Assess: one run, three verified fixes, the bucket blocked at the end.
  expect(result.outcomes.map((o) => [o.status, o.changes.filter((c) => c.changed).length])).toEqual([
    ['REMEDIATED', 1],
    ['REMEDIATED', 1],
    ['REMEDIATED', 1],
  ]);
  expect((await publicAccessBlockOf(stack.raw.s3, bucket))?.BlockPublicAcls).toBe(true);
}, 90_000);

it('after the cool-down: a new run fixes it again', async () => {
  // Prepare
  const bucket = `after-${Date.now()}`;
  await createBucket(stack.raw.s3, bucket);
  await configEvent(bucket, 'NON_COMPLIANT');
  const first = await outcomes(bucket, 1);
  const firstResult = (await handleOf(bucket, first.runId).result()) as RemediationResult;

  // Act
  await reopen(bucket);
  await configEvent(bucket, 'NON_COMPLIANT');
  const second = await outcomes(bucket, 1, first.runId);

  // Assess
  expect(firstResult.status).toBe('REMEDIATED');
  expect(second.runId).not.toBe(first.runId);
  const snapshot = await handleOf(bucket, second.runId).query(statusQuery);
  expect(snapshot.outcomes.map((o) => o.status)).toEqual(['REMEDIATED']);
  expect((await publicAccessBlockOf(stack.raw.s3, bucket))?.BlockPublicAcls).toBe(true);
}, 90_000);
