/**
 * `remediator worker` killed with SIGKILL while its verification reads a fix back: another worker (the restarted one)
 * resumes the same window from the attempt's heartbeat details rather than opening a new one, and the reads leave no
 * event each in the history. The reads lag behind the write (answered by the fault proxy as if no block were set: a
 * read-after-write lag moto cannot produce), and the kill comes with the third of them on its way to AWS.
 */
import { temporal } from '@temporalio/proto';
import { remediationWorkflowId } from '../../src/domain/finding';
import { publicBuckets, resultOf, startCrashStack } from '../helpers/crash-stack';
import type { CrashStack } from '../helpers/crash-stack';
import { fastSettings, s3Finding } from '../helpers/fixtures';
import { dispatcherWith } from '../helpers/worker-policies';

/** The window verification may read in. */
const WINDOW_MS = 30_000;
/** A short activity timeout: the verifying activity's heartbeat timeout is min(30 s, this). */
const SETTINGS = fastSettings(
  {
    propagationWaitMs: WINDOW_MS,
    activityTimeoutMs: 3000,
    retry: { initialIntervalMs: 200, backoffCoefficient: 2, maximumAttempts: 4, maximumIntervalMs: 1000 },
  },
  1500,
);
/** Reads answered stale after the write; the worker dies with the third on its way. */
const STALE_READS = 4;
const KILL_AT_READ = 3;

let stack: CrashStack;
beforeAll(async () => {
  stack = await startCrashStack('verify-resume-worker', SETTINGS);
}, 90_000);
afterAll(async () => {
  await stack?.stop();
});

it('resumes the verification window after the worker dies mid-read: the reads go on counting, no event per read', async () => {
  // Prepare: once the block is written, its next reads answer as if it were not there.
  const [bucket = ''] = await publicBuckets(stack, 'vr', 1);
  const finding = s3Finding(bucket);
  let killed: Promise<void> | undefined;
  let restartedAt = 0;
  stack.proxy.addRule({
    service: 's3',
    action: 'PutPublicAccessBlock',
    target: bucket,
    times: 1,
    before: () => {
      let stale = 0;
      stack.proxy.addRule({
        service: 's3',
        action: 'GetPublicAccessBlock',
        target: bucket,
        times: STALE_READS,
        fault: { kind: 'error', code: 'NoSuchPublicAccessBlockConfiguration', status: 404 },
        before: () => {
          stale += 1;
          if (stale === KILL_AT_READ) killed = stack.worker.kill9();
          return undefined;
        },
      });
      return undefined;
    },
  });
  const dispatcher = dispatcherWith(stack.client, stack.taskQueue, SETTINGS);
  const workflowId = remediationWorkflowId(finding.resource);

  // Act: dispatch; once the worker is dead, start it again.
  await dispatcher.start({ finding, playbook: 's3-block-public-access' });
  const deadline = Date.now() + 90_000;
  while (!killed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(killed).toBeDefined();
  await killed;
  restartedAt = Date.now();
  await stack.worker.start();
  const result = await resultOf(stack.client, workflowId, deadline);
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();

  // Assess
  expect(stack.worker.unexpectedExits).toEqual([]);
  expect(result.status).toBe('REMEDIATED');
  const [outcome] = result.outcomes;
  const reads = stack.proxy.find({ service: 's3', action: 'GetPublicAccessBlock', target: bucket });
  const afterWrite = reads.filter(
    (c) =>
      c.receivedAt >=
      (stack.proxy.find({ action: 'PutPublicAccessBlock', target: bucket })[0]?.receivedAt ?? 0),
  );
  const byRetry = afterWrite.filter((c) => c.receivedAt >= restartedAt).length;
  console.log(
    `verification: ${outcome?.verification?.reads} reads counted, ${afterWrite.length} made after the write ` +
      `(${byRetry} by the restarted worker); verified ${Date.parse(outcome?.verification?.at ?? '') - Date.parse(outcome?.changes[0]?.at ?? '')} ms after the change`,
  );
  // Every stale answer was read, then one that passed.
  expect(afterWrite).toHaveLength(STALE_READS + 1);
  // The retry made only some of the reads, yet the count carries on from the dead attempt's: it resumed the window.
  expect(byRetry).toBeGreaterThanOrEqual(2);
  expect(outcome?.verification?.passed).toBe(true);
  expect(outcome?.verification?.reads).toBeGreaterThan(byRetry);
  expect(outcome?.verification?.reads).toBeLessThanOrEqual(STALE_READS + 1);
  // Within the same window: verified well before a window opened by the retry could have ended.
  const changedAt = Date.parse(outcome?.changes[0]?.at ?? '');
  expect(Date.parse(outcome?.verification?.at ?? '') - changedAt).toBeLessThan(WINDOW_MS);
  // The history: one verifying activity, started twice (the lost attempt, the resumed one), no timer but the
  // cool-down's, and nothing per read.
  const events = history.events ?? [];
  const EventType = temporal.api.enums.v1.EventType;
  const scheduled = events.filter(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'concludeRemediation',
  );
  expect(scheduled).toHaveLength(1);
  const started = events.find(
    (e) =>
      e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED &&
      String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(scheduled[0]?.eventId),
  );
  expect(started?.activityTaskStartedEventAttributes?.attempt).toBe(2);
  expect(events.filter((e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED)).toHaveLength(1);
  expect(stack.worker.output).toContain('resumedAfterReads');
}, 120_000);
