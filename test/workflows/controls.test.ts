/**
 * Operator controls on the real dev server with real activities against moto: the exemption tag (ignored by
 * containment), exemptions with expiry, pause and resume, flap detection naming what manages the resource, and the
 * breaker counting exactly when remediations arrive at once.
 */
import { randomUUID } from 'node:crypto';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { DeletePublicAccessBlockCommand, PutBucketTaggingCommand } from '@aws-sdk/client-s3';
import type { WorkflowHandle } from '@temporalio/client';
import { exempt, pause, resume } from '../../src/commands/controls';
import { remediationWorkflowId } from '../../src/domain/finding';
import type { Finding } from '../../src/domain/finding';
import type { PlaybookSettings } from '../../src/domain/policy';
import type { RemediationResult } from '../../src/domain/remediation';
import type { remediationWorkflow } from '../../src/workflows';
import { statusQuery } from '../../src/workflows/definitions';
import { createBucket, drainQueue, publicAccessBlockOf } from '../helpers/aws';
import { launchInstance, motoEc2 } from '../helpers/ec2';
import { fastSettings, guardDutyFinding, s3Finding } from '../helpers/fixtures';
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

type Handle = WorkflowHandle<typeof remediationWorkflow>;
const S3 = 's3-block-public-access';

async function dispatch(
  taskQueue: string,
  finding: Finding,
  overrides: Partial<PlaybookSettings> = {},
  playbook = S3,
): Promise<Handle> {
  await dispatcherWith(stack.env.client, taskQueue, fastSettings(overrides, 300)).start({
    finding,
    playbook,
  });
  return stack.env.client.workflow.getHandle(remediationWorkflowId(finding.resource));
}

const blocked = async (bucket: string): Promise<boolean> =>
  (await publicAccessBlockOf(stack.raw.s3, bucket)) !== null;

async function newBucket(tags: Record<string, string> = {}): Promise<string> {
  const name = `ctl-${randomUUID().slice(0, 12)}`;
  await createBucket(stack.raw.s3, name);
  if (Object.keys(tags).length > 0) {
    await stack.raw.s3.send(
      new PutBucketTaggingCommand({
        Bucket: name,
        Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
      }),
    );
  }
  return name;
}

async function phaseReached(handle: Handle, phase: string): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    const snapshot = await handle.query(statusQuery).catch(() => undefined);
    if (snapshot?.phase === phase) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${handle.workflowId} never reached ${phase}`);
}

it('the exemption tag exempts a bucket (EXEMPT, notified, unchanged), but not an instance GuardDuty caught', async () => {
  const taskQueue = `q-${randomUUID()}`;
  const bucket = await newBucket({ 'remediator:exempt': 'public website, ticket WEB-12' });
  const ec2 = motoEc2(stack.moto.endpoint);
  const instanceId = await launchInstance(ec2, {
    InstanceInitiatedShutdownBehavior: 'stop',
    TagSpecifications: [
      { ResourceType: 'instance', Tags: [{ Key: 'remediator:exempt', Value: 'set by attacker' }] },
    ],
  });
  const worker = await stack.worker(taskQueue, stack.activities());

  const [s3, isolation] = await worker.runUntil(async () => {
    const a = await dispatch(taskQueue, s3Finding(bucket));
    const b = await dispatch(
      taskQueue,
      guardDutyFinding('AWS::EC2::Instance', instanceId),
      {},
      'ec2-isolate-instance',
    );
    return Promise.all([a.result(), b.result()]);
  });

  expect(s3.status).toBe('EXEMPT');
  expect(s3.outcomes[0]?.reason).toBe(
    'the resource carries the exemption tag remediator:exempt=public website, ticket WEB-12',
  );
  expect(await blocked(bucket)).toBe(false);
  const notes = await drainQueue(stack.raw.sqs, stack.resources.notifyInboxUrl, 1);
  expect(notes.map((m) => String(JSON.parse(m.Body ?? '{}').Subject))).toContain(
    `[EXEMPT] ${S3} on ${bucket} (123456789012/ap-northeast-1)`,
  );
  expect(isolation.status).toBe('REMEDIATED');
  const groups = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })))
    .Reservations?.[0]?.Instances?.[0]?.NetworkInterfaces?.[0]?.Groups;
  expect(groups?.map((g) => g.GroupName)).toEqual([expect.stringMatching(/^remediator-isolation-vpc-/)]);
  ec2.destroy();
});

it('an operator exemption holds until it expires, then the resource is remediated', async () => {
  const taskQueue = `q-${randomUUID()}`;
  const bucket = await newBucket();
  const worker = await stack.worker(taskQueue, stack.activities());

  const [first, second, line] = await worker.runUntil(async () => {
    const recorded = await exempt(stack.env.client, taskQueue, {
      resource: `123456789012/ap-northeast-1/AWS::S3::Bucket/${bucket}`,
      until: new Date(Date.now() + 3000).toISOString(),
      reason: 'vendor migration',
      by: 'alice@host',
      unsigned: true,
    });
    const a = await (await dispatch(taskQueue, s3Finding(bucket))).result();
    await new Promise((r) => setTimeout(r, 3200));
    const b = await (await dispatch(taskQueue, s3Finding(bucket, { eventId: 'evt-after-expiry' }))).result();
    return [a, b, recorded] as const;
  });

  expect(line).toMatch(
    new RegExp(
      `^Exempted 123456789012/ap-northeast-1/AWS::S3::Bucket/${bucket} until .* \\(by alice@host \\(unverified\\)\\): vendor migration\\. Containment playbooks ignore it until a second person exempts the same resource\\.$`,
    ),
  );
  expect(first.status).toBe('EXEMPT');
  expect(first.outcomes[0]?.reason).toMatch(
    /^exempted by alice@host \(unverified\) until .*: vendor migration$/,
  );
  expect(second.status).toBe('REMEDIATED');
  expect(await blocked(bucket)).toBe(true);
});

it('pause holds new remediations before their first change; resume wakes them and they finish', async () => {
  const taskQueue = `q-${randomUUID()}`;
  const bucket = await newBucket();
  const worker = await stack.worker(taskQueue, stack.activities());

  const { result, paused, resumed, blockedWhilePaused } = await worker.runUntil(async () => {
    const pausedLine = await pause(stack.env.client, taskQueue, {
      playbook: S3,
      reason: 'change freeze',
      by: 'bob@host',
      unsigned: true,
    });
    const handle = await dispatch(taskQueue, s3Finding(bucket));
    await phaseReached(handle, 'PAUSED');
    const whilePaused = await blocked(bucket);
    const resumedLine = await resume(stack.env.client, taskQueue, {
      playbook: S3,
      by: 'bob@host',
      unsigned: true,
    });
    return {
      result: await handle.result(),
      paused: pausedLine,
      resumed: resumedLine,
      blockedWhilePaused: whilePaused,
    };
  });

  expect(paused).toBe(
    `Paused ${S3} in every account (by bob@host (unverified)): new remediations are held before their first change.`,
  );
  expect(blockedWhilePaused).toBe(false);
  expect(resumed).toBe(`Resumed ${S3} in every account; 1 held remediation(s) woken.`);
  expect(result.status).toBe('REMEDIATED');
  expect(await blocked(bucket)).toBe(true);
});

it('escalates a resource that keeps being undone (flapping), naming what manages it', async () => {
  const taskQueue = `q-${randomUUID()}`;
  const bucket = await newBucket({ 'managed-by': 'terraform' });
  const worker = await stack.worker(taskQueue, stack.activities());
  const flapping = { maxPerWindow: 2, windowMs: 3600_000 };

  const results = await worker.runUntil(async () => {
    const out: RemediationResult[] = [];
    for (let i = 0; i < 3; i += 1) {
      // Terraform puts the bucket back the way it was declared.
      await stack.raw.s3.send(new DeletePublicAccessBlockCommand({ Bucket: bucket }));
      out.push(
        await (
          await dispatch(taskQueue, s3Finding(bucket, { eventId: `evt-flap-${i}` }), { flapping })
        ).result(),
      );
    }
    return out;
  });

  expect(results.map((r) => r.status)).toEqual(['REMEDIATED', 'REMEDIATED', 'ESCALATED']);
  expect(results[2]?.outcomes[0]?.escalation).toMatchObject({
    errorType: 'Flapping',
    reason:
      'remediated 2 times within 60 min: something keeps undoing the fix; it is managed by managed-by=terraform: fix it there',
  });
});

it('the breaker sends remediations beyond its limit to approval and pages on-call once, counted exactly when they arrive at once', async () => {
  const taskQueue = `q-${randomUUID()}`;
  const buckets = await Promise.all([1, 2, 3, 4, 5].map(() => newBucket()));
  const worker = await stack.worker(taskQueue, stack.activities());
  const breaker = { maxPerWindow: 2, windowMs: 3600_000 };

  const phases = await worker.runUntil(async () => {
    const handles = await Promise.all(
      buckets.map((b) => dispatch(taskQueue, s3Finding(b), { breaker, approvalTimeoutMs: 60_000 })),
    );
    // Every one either finishes or waits for approval.
    for (let i = 0; i < 300; i += 1) {
      const snapshots = await Promise.all(handles.map((h) => h.query(statusQuery)));
      if (snapshots.every((s) => s.phase === 'AWAITING_APPROVAL' || s.outcomes.length > 0)) {
        const result = snapshots.map((s) => (s.outcomes[0]?.status ?? s.phase) as string);
        await Promise.all(handles.map((h) => h.terminate('test done').catch(() => undefined)));
        return result;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the remediations did not settle');
  });

  expect(phases.filter((p) => p === 'REMEDIATED')).toHaveLength(2);
  expect(phases.filter((p) => p === 'AWAITING_APPROVAL')).toHaveLength(3);
  // One page for the trip, not one per held remediation (asking for two waits long enough to see a second).
  const pages = await drainQueue(stack.raw.sqs, stack.resources.oncallInboxUrl, 2, 5_000);
  const breakerPages = pages
    .map((m) => String(JSON.parse(m.Body ?? '{}').Message))
    .filter((m) => m.includes('breaker: '));
  expect(breakerPages).toHaveLength(1);
  expect(breakerPages[0]).toContain('breaker: 3 new s3-block-public-access remediations');
});
