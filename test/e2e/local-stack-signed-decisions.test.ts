/**
 * A signed operator decision on the local stack, made as a newcomer makes it (docs/report.md, How the screenshot was
 * made): in another shell, with exactly the environment the stack prints (`remediator demo --keep-running`,
 * `remediator dev`), and no `--unsigned`. The CLI signs with the printed credentials and the worker verifies the
 * signature against moto's STS, so the decider is the ARN moto vouches for, not an unverified OS label.
 */
import { join } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { CreateBucketCommand, GetPublicAccessBlockCommand, PutBucketAclCommand } from '@aws-sdk/client-s3';
import type { BucketLocationConstraint } from '@aws-sdk/client-s3';
import { DEMO_POLICY } from '../../src/commands/demo';
import { readEventFile, putEvent } from '../../src/commands/send-event';
import { withDetectorTimesNow } from '../../src/commands/event-times';
import { loadDevStackConfig } from '../../src/config';
import { startLocalStack } from '../../src/devstack/local-stack';
import type { LocalStack } from '../../src/devstack/local-stack';
import { remediationWorkflowId } from '../../src/domain/finding';
import type { Outcome } from '../../src/domain/remediation';
import { singleFinding } from '../../src/ingest/normalise';
import { silentLogger } from '../../src/logger';
import { statusQuery } from '../../src/workflows/definitions';
import { FIXTURES_DIR } from '../helpers/fixtures';
import { remediator } from '../helpers/cli-process';

/** The identity moto's STS reports for any signature it is sent: the decider of a verified decision here. */
const MOTO_ARN = 'arn:aws:sts::123456789012:user/moto';

let stack: LocalStack;
beforeAll(async () => {
  // The in-process worker's runtime logs only what is wrong, as `dev` and `demo` do.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const { temporalCliPath, motoServerPath } = loadDevStackConfig();
  stack = await startLocalStack({
    temporalCliPath,
    motoServerPath,
    policy: DEMO_POLICY,
    logger: silentLogger,
    headless: true,
  });
});
afterAll(async () => {
  await stack?.stop();
});

/** The first outcome of `workflowId`, once the event has come through EventBridge, SQS and the bridge. */
async function outcomeOf(workflowId: string, timeoutMs: number): Promise<Outcome> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const snapshot = await stack.client.workflow
      .getHandle(workflowId)
      .query(statusQuery)
      .catch(() => undefined); // not started yet
    const outcome = snapshot?.outcomes[0];
    if (outcome) return outcome;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no outcome for ${workflowId} within ${timeoutMs} ms`);
}

it('a rollback signed with the credentials the local stack prints is verified by its worker and restores the bucket', async () => {
  // Prepare: the demo's public bucket, remediated through the stack's own pipeline.
  const { event } = readEventFile(join(FIXTURES_DIR, 'config-s3-bucket-public-read-noncompliant.json'));
  const { resource } = singleFinding(event);
  const s3 = stack.clients.s3(resource.account, resource.region);
  await s3.send(
    new CreateBucketCommand({
      Bucket: resource.resourceId,
      CreateBucketConfiguration: { LocationConstraint: resource.region as BucketLocationConstraint },
    }),
  );
  await s3.send(new PutBucketAclCommand({ Bucket: resource.resourceId, ACL: 'public-read' }));
  await putEvent(stack.events, withDetectorTimesNow(event), 'default');
  const workflowId = remediationWorkflowId(resource);
  expect((await outcomeOf(workflowId, 60_000)).status).toBe('REMEDIATED');

  // Act: signed (no --unsigned), with nothing but what the stack prints.
  const rollback = remediator(
    ['rollback', workflowId, '--reason', 'the export job needs the old ACL', '--exempt-for', '2h'],
    stack.env,
  );
  const code = await rollback.exited;

  // Assess: the worker asked moto's STS and took its answer as the requester; nothing was refused.
  expect(rollback.output()).not.toContain('REFUSED');
  expect(rollback.output()).toMatch(/^ROLLED_BACK: restored /);
  expect(rollback.output()).toContain(`asked by:    ${MOTO_ARN}: the export job needs the old ACL`);
  expect(code).toBe(0);
  // The bucket is back as it was: no public access block (the exemption keeps the fix from coming back).
  await expect(
    s3.send(new GetPublicAccessBlockCommand({ Bucket: resource.resourceId })),
  ).rejects.toMatchObject({ name: 'NoSuchPublicAccessBlockConfiguration' });
});
