/**
 * End to end on real servers: PutEvents on moto's EventBridge → the rule delivers to SQS → the ingest bridge →
 * signal-with-start on the Temporal dev server → the worker blocks public access → SNS notification (read through an
 * SQS subscription).
 */
import { GetPublicAccessBlockCommand, PutBucketAclCommand } from '@aws-sdk/client-s3';
import { PLAYBOOKS } from '../../src/domain/playbooks';
import { resolveExecutionSettings } from '../../src/domain/policy';
import type { RemediationPolicy } from '../../src/domain/policy';
import type { RemediationResult } from '../../src/domain/remediation';
import { putEvent } from '../../src/commands/send-event';
import { FindingDispatcher } from '../../src/ingest/dispatcher';
import { parseMessageBody } from '../../src/ingest/envelope';
import { createMessageHandler } from '../../src/ingest/message-handler';
import { SqsBridge } from '../../src/ingest/sqs-bridge';
import { silentLogger } from '../../src/logger';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';
import { checkReachable } from '../../src/temporal/connection';
import { createBucket, drainQueue } from '../helpers/aws';
import { fixtureText } from '../helpers/fixtures';
import { startWorkflowStack } from '../helpers/workflow-stack';
import type { WorkflowStack } from '../helpers/workflow-stack';

let stack: WorkflowStack;
beforeAll(async () => {
  stack = await startWorkflowStack();
});
afterAll(async () => {
  await stack?.stop();
});

/** The seed policy with no propagation wait and a short cool-down, so the run completes in seconds. */
const POLICY: RemediationPolicy = {
  ...DEFAULT_POLICY,
  cooldownMs: 1000,
  defaults: { ...DEFAULT_POLICY.defaults, propagationWaitMs: 0 },
};

it('remediates the fixture bucket from an EventBridge event to a verified block and an SNS notification', async () => {
  // Prepare: the fixture's bucket, public, and the whole pipeline running.
  const event = parseMessageBody(fixtureText('config-s3-bucket-public-read-noncompliant.json'));
  const bucket = 'acme-marketing-assets';
  await createBucket(stack.raw.s3, bucket);
  await stack.raw.s3.send(new PutBucketAclCommand({ Bucket: bucket, ACL: 'public-read' }));
  const taskQueue = 'e2e';
  const worker = await stack.worker(taskQueue, stack.activities());
  const settings = resolveExecutionSettings(POLICY, Object.keys(PLAYBOOKS));
  const bridge = new SqsBridge({
    sqs: stack.raw.sqs,
    queueUrl: stack.resources.ingestQueueUrl,
    deadLetterQueueUrl: stack.resources.deadLetterQueueUrl,
    handleMessage: createMessageHandler(POLICY, new FindingDispatcher(stack.env.client, taskQueue, settings)),
    checkTemporal: () => checkReachable(stack.env.client),
    logger: silentLogger,
    waitTimeSeconds: 1,
  });
  const stopBridge = new AbortController();
  const bridgeRun = bridge.run(stopBridge.signal);

  // Act
  const started = Date.now();
  const result: RemediationResult = await worker.runUntil(async () => {
    await putEvent(stack.raw.events, event, 'default');
    const workflowId = 'remediation/123456789012/ap-northeast-1/AWS::S3::Bucket/acme-marketing-assets';
    for (;;) {
      try {
        return await stack.env.client.workflow.getHandle(workflowId).result();
      } catch (err) {
        if ((err as Error).name !== 'WorkflowNotFoundError') throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  });
  const outcome = result.outcomes[0];
  const remediatedAfterMs = outcome ? Date.parse(outcome.finishedAt) - started : NaN;
  stopBridge.abort();
  await bridgeRun;

  // Assess
  expect(result.status).toBe('REMEDIATED');
  expect(bridge.stats.delivered).toBe(1);
  const block = await stack.raw.s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
  expect(block.PublicAccessBlockConfiguration).toEqual({
    BlockPublicAcls: true,
    IgnorePublicAcls: true,
    BlockPublicPolicy: true,
    RestrictPublicBuckets: true,
  });
  const [note] = await drainQueue(stack.raw.sqs, stack.resources.notifyInboxUrl, 1);
  const sns = JSON.parse(note?.Body ?? '{}') as { Subject?: string; Message?: string };
  expect(sns.Subject).toBe(
    '[REMEDIATED] s3-block-public-access on acme-marketing-assets (123456789012/ap-northeast-1)',
  );
  const record = JSON.parse(sns.Message?.split('--- machine-readable record ---\n')[1] ?? '{}');
  expect(record).toMatchObject({ kind: 'outcome', status: 'REMEDIATED', resource: { resourceId: bucket } });
  // For the issue note: PutEvents → verified outcome, with the propagation wait at 0.
  process.stdout.write(`e2e: PutEvents to REMEDIATED in ${remediatedAfterMs} ms\n`);
});
