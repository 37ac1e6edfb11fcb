/**
 * `remediator ingest` killed with SIGKILL mid-batch, twice, and restarted: 200 events (public read and public write for
 * 100 buckets) on real moto SQS. Each kill happens at the worst moment for the bridge: a finding has reached Temporal
 * but its DeleteMessageBatch has not reached SQS (the proxy holds it while the process dies), so that message and the rest
 * of the batch come back after the visibility timeout. No event may be lost (both findings of every bucket handled),
 * no change applied twice (proxy counts), nothing dead-lettered.
 */
import { asPolicyDefaults } from '../helpers/worker-policies';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { remediationWorkflowId } from '../../src/domain/finding';
import type { RemediationResult } from '../../src/domain/remediation';
import { publicAccessBlockOf } from '../helpers/aws';
import {
  CRASH_SETTINGS,
  histogram,
  isFullyBlocked,
  mutationsPerTarget,
  publicBuckets,
  queueDepth,
  queueWithDeadLetters,
  Remediator,
  resultOf,
  SEED,
  seeded,
  sleep,
  startCrashStack,
} from '../helpers/crash-stack';
import type { CrashStack } from '../helpers/crash-stack';
import { fixtureEvent, s3Finding } from '../helpers/fixtures';

const READ = 's3-bucket-public-read-prohibited';
const WRITE = 's3-bucket-public-write-prohibited';
const KILLS = 2;

let stack: CrashStack;
let ingest: Remediator | undefined;
beforeAll(async () => {
  stack = await startCrashStack('crash-ingest');
}, 90_000);
afterAll(async () => {
  await ingest?.stop();
  await stack?.stop();
});

it('loses no event when the ingest bridge is killed mid-batch, and applies no change twice', async () => {
  // Prepare: a queue whose visibility timeout is short, so what a killed bridge had received comes back in seconds.
  const random = seeded(SEED);
  const buckets = await publicBuckets(stack, 'ing', 100);
  const { queueUrl, dlqUrl } = await queueWithDeadLetters(stack, 'ingest-crash', 3);
  const events = buckets.flatMap((bucket) =>
    [READ, WRITE].map((rule) => ({
      ...fixtureEvent('config-s3-bucket-public-read-noncompliant.json', {
        resourceId: bucket,
        configRuleName: rule,
      }),
      id: randomUUID(),
    })),
  );
  for (let i = 0; i < events.length; i += 10) {
    await stack.raw.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: events.slice(i, i + 10).map((e, j) => ({ Id: String(j), MessageBody: JSON.stringify(e) })),
      }),
    );
  }
  const policyPath = join(stack.dir, 'policy.json');
  writeFileSync(
    policyPath,
    JSON.stringify({
      version: 1,
      cooldownMs: CRASH_SETTINGS.cooldownMs,
      routes: [{ source: 'aws.config', controls: [READ, WRITE], playbook: 's3-block-public-access' }],
      defaults: asPolicyDefaults(CRASH_SETTINGS.playbooks['s3-block-public-access']!),
      playbooks: {},
    }),
  );
  ingest = new Remediator(
    'ingest',
    stack.env({
      INGEST_QUEUE_URL: queueUrl,
      INGEST_WAIT_TIME_SECONDS: '1',
      INGEST_CONCURRENCY: '10',
      REMEDIATION_POLICY: policyPath,
    }),
    '"Ingest bridge started"',
    '"Finding delivered"',
  );
  const started = Date.now();
  await ingest.start();

  // Act: at a seeded random DeleteMessageBatch, hold it (it never reaches SQS) and kill the bridge; restart it.
  const kills: string[] = [];
  for (let k = 0; k < KILLS; k += 1) {
    const bridge: Remediator = ingest;
    let killed: Promise<void> | undefined;
    const skip = random.between(2, 12);
    const rule = stack.proxy.addRule({
      service: 'sqs',
      action: 'DeleteMessageBatch',
      skip,
      times: 1,
      fault: { kind: 'timeout' },
      before: () => {
        killed = bridge.kill9();
        return undefined;
      },
    });
    const until = Date.now() + 30_000;
    while (!killed && Date.now() < until) await sleep(10);
    rule.remove();
    if (!killed) break;
    await killed;
    const { inFlight } = await queueDepth(stack, queueUrl);
    const startupMs = await bridge.start();
    kills.push(
      `+${Date.now() - started} ms, at DeleteMessageBatch #${skip + 1} since its start (${bridge.count} deliveries logged so far, ` +
        `${inFlight} messages received and not deleted), restarted in ${startupMs} ms`,
    );
  }
  // Every message settled: none left, none in flight.
  const drainBy = Date.now() + 60_000;
  for (;;) {
    const { visible, inFlight } = await queueDepth(stack, queueUrl);
    if ((visible === 0 && inFlight === 0) || Date.now() > drainBy) break;
    await sleep(250);
  }
  const drainedMs = Date.now() - started;
  await ingest.stop();
  // Then every run of every bucket's execution, to its end (a redelivery after a run's cool-down starts a new run).
  const ids = new Set(buckets.map((b) => remediationWorkflowId(s3Finding(b).resource)));
  const resultsBy = Date.now() + 60_000;
  await Promise.all([...ids].map((id) => resultOf(stack.client, id, resultsBy)));
  let runs: { workflowId: string; runId: string }[] = [];
  // Visibility is updated asynchronously: list until every execution shows and the listing is stable.
  for (let previous = -1; Date.now() < resultsBy + 15_000; previous = runs.length) {
    runs = [];
    for await (const execution of stack.client.workflow.list({ query: `TaskQueue = '${stack.taskQueue}'` })) {
      if (ids.has(execution.workflowId) && execution.status.name !== 'RUNNING') {
        runs.push({ workflowId: execution.workflowId, runId: execution.runId });
      }
    }
    if (runs.length === previous && new Set(runs.map((r) => r.workflowId)).size === ids.size) break;
    await sleep(500);
  }
  const outcomes = new Map<string, { control: string; status: string }[]>();
  for (const run of runs) {
    const result = (await stack.client.workflow
      .getHandle(run.workflowId, run.runId)
      .result()) as RemediationResult;
    const list = outcomes.get(run.workflowId) ?? [];
    list.push(...result.outcomes.map((o) => ({ control: o.finding.control, status: o.status })));
    outcomes.set(run.workflowId, list);
  }
  const elapsed = Date.now() - started;

  // Assess
  const perTarget = mutationsPerTarget(stack.proxy, buckets);
  const runsPerBucket = [...ids].map((id) => runs.filter((r) => r.workflowId === id).length);
  const deletes = stack.proxy.find({ service: 'sqs', action: 'DeleteMessageBatch' });
  console.log(
    `ingest kills (seed ${SEED}): ${kills.length}\n  - ${kills.join('\n  - ')}\n` +
      `events: ${events.length} for ${buckets.length} buckets; deliveries logged ${ingest.count}; DeleteMessageBatch ` +
      `${deletes.filter((c) => c.outcome === 'forwarded').length} reached SQS, ` +
      `${deletes.filter((c) => c.outcome !== 'forwarded').length} lost with a killed bridge; queue drained ` +
      `${drainedMs} ms after the start, every run done and listed after ${elapsed} ms\n` +
      `runs per bucket: ${histogram(runsPerBucket)}; outcomes per bucket: ` +
      `${histogram([...ids].map((id) => outcomes.get(id)?.length ?? 0))}; mutating calls per bucket: ` +
      `${histogram([...perTarget.values()].map((e) => e.calls.length))}; in effect: ` +
      `${histogram([...perTarget.values()].map((e) => e.effective))}`,
  );
  expect(ingest.unexpectedExits).toEqual([]);
  expect(stack.worker.unexpectedExits).toEqual([]);
  expect(kills).toHaveLength(KILLS);
  expect(await queueDepth(stack, queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  expect(await queueDepth(stack, dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
  for (const id of ids) {
    const list = outcomes.get(id) ?? [];
    // Both findings of the bucket were handled (no event lost); the fix happened once, anything else found it done.
    expect([id, [...new Set(list.map((o) => o.control))].sort()]).toEqual([id, [READ, WRITE]]);
    expect([id, list.filter((o) => o.status === 'REMEDIATED').length]).toEqual([id, 1]);
    expect([id, list.filter((o) => o.status !== 'REMEDIATED' && o.status !== 'NO_ACTION')]).toEqual([id, []]);
  }
  for (const [bucket, entry] of perTarget) {
    expect([bucket, entry.effective, entry.calls.length]).toEqual([bucket, 1, 1]);
  }
  const blocks = await Promise.all(buckets.map((b) => publicAccessBlockOf(stack.raw.s3, b)));
  expect(blocks.filter((b) => !isFullyBlocked(b))).toEqual([]);
}, 120_000);
