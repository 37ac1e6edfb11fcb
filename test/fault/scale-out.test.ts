/**
 * Production runs several workers and bridges against one namespace (the CDK default is two of each). Here three
 * `remediator worker` and two `remediator ingest` processes share one dev server and one SQS queue, and a storm arrives
 * for 40 public buckets: each bucket's NON_COMPLIANT event ten times, shuffled, sent over ~40 s, to workers whose
 * sticky cache holds 8 executions (so repeats mostly reach evicted ones, replayed from history). Every 15 s a worker
 * chosen at random is SIGKILLed and started again; one bridge is SIGKILLed once, mid-storm, and started again. Each
 * bucket must end with one execution (one run), REMEDIATED and verified, with exactly one PutPublicAccessBlock that
 * changed it (counted at the proxy), every one of its ten events taken (none lost), and the queue and its dead-letter
 * queue empty.
 *
 * The bench measures the same at full scale (docs/benchmarks.md §7). FAULT_SEED replays a kill schedule.
 */
import { randomUUID } from 'node:crypto';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { remediationWorkflowId } from '../../src/domain/finding';
import type { RemediationSnapshot } from '../../src/domain/remediation';
import { statusQuery } from '../../src/workflows/definitions';
import { publicAccessBlockOf } from '../helpers/aws';
import {
  histogram,
  isFullyBlocked,
  mutationsPerTarget,
  publicBuckets,
  queueDepth,
  queueWithDeadLetters,
  Remediator,
  SEED,
  seeded,
  sleep,
  startCrashStack,
} from '../helpers/crash-stack';
import type { CrashStack } from '../helpers/crash-stack';
import { fastSettings, fixtureEvent, s3Finding } from '../helpers/fixtures';

const BUCKETS = 40;
const EVENTS_PER_BUCKET = 10;
/** The storm is sent over this long, so the kills land while there is work in flight. */
const SEND_OVER_MS = 40_000;
const KILL_EVERY_MS = 15_000;
const WORKERS = 3;
const BRIDGES = 2;

/**
 * The crash settings' retries and timeout, with a cool-down longer than the test: every repeat and redelivery of a
 * bucket's event reaches the one run that fixed it, so a second run would be a duplicate.
 */
const SETTINGS = fastSettings(
  {
    activityTimeoutMs: 20_000,
    retry: { initialIntervalMs: 200, backoffCoefficient: 2, maximumAttempts: 4, maximumIntervalMs: 1000 },
  },
  600_000,
);

/**
 * A sticky cache far smaller than the storm (WORKER_MAX_CACHED_WORKFLOWS), so most executions are evicted while they
 * wait in their cool-down and every later repeat reaches them through a replay of their history.
 */
const WORKER_ENV = { WORKER_MAX_CACHED_WORKFLOWS: '8' };

let stack: CrashStack;
const workers: Remediator[] = [];
const bridges: Remediator[] = [];
beforeAll(async () => {
  stack = await startCrashStack('scale-out', SETTINGS, WORKER_ENV);
  workers.push(stack.worker);
}, 90_000);
afterAll(async () => {
  await Promise.all([...bridges, ...workers.slice(1)].map((p) => p.stop()));
  await stack?.stop();
});

it('three workers and two bridges, killed at random, change each bucket once and run one execution each', async () => {
  // Prepare: the storm, shuffled (seeded), and every process up.
  const random = seeded(SEED);
  const buckets = await publicBuckets(stack, 'scale', BUCKETS);
  const { queueUrl, dlqUrl } = await queueWithDeadLetters(stack, 'scale-out', 5);
  const storm = buckets.flatMap((bucket) =>
    Array.from({ length: EVENTS_PER_BUCKET }, () => ({
      ...fixtureEvent('config-s3-bucket-public-read-noncompliant.json', { resourceId: bucket }),
      id: randomUUID(),
    })),
  );
  for (let i = storm.length - 1; i > 0; i -= 1) {
    const j = random.between(0, i + 1);
    [storm[i], storm[j]] = [storm[j] as (typeof storm)[number], storm[i] as (typeof storm)[number]];
  }
  for (let w = 1; w < WORKERS; w += 1) {
    // Ready once its start line shows the bound it runs with.
    workers.push(new Remediator('worker', stack.env(WORKER_ENV), '"maxCachedWorkflows":8'));
  }
  for (let b = 0; b < BRIDGES; b += 1) {
    bridges.push(
      new Remediator(
        'ingest',
        stack.env({ INGEST_QUEUE_URL: queueUrl, INGEST_WAIT_TIME_SECONDS: '1', INGEST_CONCURRENCY: '10' }),
        '"Ingest bridge started"',
        '"Finding delivered"',
      ),
    );
  }
  await Promise.all([...workers.slice(1), ...bridges].map((p) => p.start()));
  const started = Date.now();

  // Act: send in batches of ten over SEND_OVER_MS while the kills run.
  const batches = Math.ceil(storm.length / 10);
  let sentAll = false;
  const sending = (async () => {
    for (let i = 0; i < batches; i += 1) {
      await stack.raw.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: storm
            .slice(i * 10, i * 10 + 10)
            .map((e, j) => ({ Id: String(j), MessageBody: JSON.stringify(e) })),
        }),
      );
      const due = started + ((i + 1) * SEND_OVER_MS) / batches;
      if (due > Date.now()) await sleep(due - Date.now());
    }
    sentAll = true;
  })();
  const ids = buckets.map((b) => remediationWorkflowId(s3Finding(b).resource));
  const snapshots = new Map<string, RemediationSnapshot>();
  const allRemediated = async (): Promise<boolean> => {
    for (const id of ids) {
      if (snapshots.get(id)?.outcomes.length) continue;
      const snapshot = await stack.client.workflow
        .getHandle(id)
        .query(statusQuery)
        .catch(() => undefined);
      if (!snapshot?.outcomes.length) return false;
      snapshots.set(id, snapshot);
    }
    return true;
  };
  const kills: string[] = [];
  const bridgeKillAt = started + random.between(10_000, SEND_OVER_MS - 5_000);
  let bridgeKilled = false;
  let bridgeArmed = false;
  let bridgeKill: Promise<void> | undefined;
  let nextWorkerKill = started + KILL_EVERY_MS;
  const deadline = started + 150_000;
  for (;;) {
    const now = Date.now();
    if (!bridgeArmed && now >= bridgeKillAt) {
      // Mid-batch: as the next DeleteMessageBatch of either bridge reaches SQS, one bridge dies (once: one rule,
      // removed as it fires, and deletes that arrive meanwhile pass).
      bridgeArmed = true;
      const which = random.between(0, BRIDGES);
      const bridge = bridges[which] as Remediator;
      const rule = stack.proxy.addRule({
        service: 'sqs',
        action: 'DeleteMessageBatch',
        times: 1,
        before: () => {
          if (bridgeKill) return undefined;
          rule.remove();
          bridgeKill = (async () => {
            await bridge.kill9();
            const { inFlight } = await queueDepth(stack, queueUrl);
            const startupMs = await bridge.start();
            kills.push(
              `bridge ${which} at +${Date.now() - started} ms, as a DeleteMessageBatch reached SQS (${inFlight} ` +
                `messages in flight), restarted in ${startupMs} ms`,
            );
            bridgeKilled = true;
          })();
          return undefined;
        },
      });
    }
    if (now >= nextWorkerKill) {
      const which = random.between(0, WORKERS);
      const worker = workers[which] as Remediator;
      await worker.kill9();
      const startupMs = await worker.start();
      kills.push(`worker ${which} at +${now - started} ms, restarted in ${startupMs} ms`);
      nextWorkerKill += KILL_EVERY_MS;
    }
    // Done when the storm is sent and taken, and every bucket has its outcome; kills go on until then.
    if (sentAll && bridgeKilled && kills.length >= 3) {
      const { visible, inFlight } = await queueDepth(stack, queueUrl);
      if (visible === 0 && inFlight === 0 && (await allRemediated())) break;
    }
    if (Date.now() > deadline) break;
    await sleep(250);
  }
  await sending;
  await bridgeKill;
  const drainedMs = Date.now() - started;
  await allRemediated();
  // Every repeat signalled, then read the executions: one run per bucket, none other on the task queue.
  await sleep(2000);
  const runs: { workflowId: string; runId: string }[] = [];
  for await (const execution of stack.client.workflow.list({
    query: `TaskQueue = '${stack.taskQueue}' AND WorkflowType = 'remediationWorkflow'`,
  })) {
    runs.push({ workflowId: execution.workflowId, runId: execution.runId });
  }
  for (const id of ids) snapshots.set(id, await stack.client.workflow.getHandle(id).query(statusQuery));

  // Assess
  const perTarget = mutationsPerTarget(stack.proxy, buckets);
  const delivered = bridges.reduce((n, b) => n + b.count, 0);
  const taken = ids.map((id) => 1 + (snapshots.get(id)?.repeats ?? 0));
  console.log(
    `scale-out (seed ${SEED}): ${WORKERS} workers, ${BRIDGES} bridges, ${storm.length} events for ${BUCKETS} buckets ` +
      `sent over ${SEND_OVER_MS} ms; kills:\n  - ${kills.join('\n  - ')}\n` +
      `drained and all remediated ${drainedMs} ms after the first send; deliveries logged ${delivered}; ` +
      `executions ${runs.length} (${new Set(runs.map((r) => r.workflowId)).size} resources); events taken per ` +
      `bucket: ${histogram(taken)}; mutating calls per bucket: ` +
      `${histogram([...perTarget.values()].map((e) => e.calls.length))}; in effect: ` +
      `${histogram([...perTarget.values()].map((e) => e.effective))}`,
  );
  expect(workers.flatMap((w) => w.unexpectedExits)).toEqual([]);
  expect(bridges.flatMap((b) => b.unexpectedExits)).toEqual([]);
  expect(kills.filter((k) => k.startsWith('worker')).length).toBeGreaterThanOrEqual(2);
  expect(kills.filter((k) => k.startsWith('bridge'))).toHaveLength(1);
  expect(await queueDepth(stack, queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  expect(await queueDepth(stack, dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
  // No duplicate executions: one run per bucket, nothing else.
  expect(runs.map((r) => r.workflowId).sort()).toEqual([...ids].sort());
  for (const id of ids) {
    const snapshot = snapshots.get(id);
    expect([id, snapshot?.outcomes.map((o) => [o.status, o.verification?.passed])]).toEqual([
      id,
      [['REMEDIATED', true]],
    ]);
    // No event lost: all ten reached the run (a redelivery after a bridge kill may add one more).
    expect([id, (snapshot?.repeats ?? 0) + 1 >= EVENTS_PER_BUCKET]).toEqual([id, true]);
  }
  for (const [bucket, entry] of perTarget) {
    // Exactly one call changed the bucket; any repeat found it already changed.
    expect([bucket, entry.effective]).toEqual([bucket, 1]);
  }
  const blocks = await Promise.all(buckets.map((b) => publicAccessBlockOf(stack.raw.s3, b)));
  expect(blocks.filter((b) => !isFullyBlocked(b))).toEqual([]);
}, 240_000);
