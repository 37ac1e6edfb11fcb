/**
 * The Temporal dev server killed with SIGKILL while 30 remediations run, and started again on the same port and
 * database file (`--db-filename`): the spawned `remediator worker` reconnects by itself (it is never restarted), and
 * every execution completes REMEDIATED with its change applied once in effect.
 */
import { remediationWorkflowId } from '../../src/domain/finding';
import { publicAccessBlockOf } from '../helpers/aws';
import {
  countBy,
  CRASH_SETTINGS,
  histogram,
  isFullyBlocked,
  mutationsPerTarget,
  notRemediated,
  publicBuckets,
  resultOf,
  SEED,
  seeded,
  sleep,
  startCrashStack,
} from '../helpers/crash-stack';
import type { CrashStack } from '../helpers/crash-stack';
import { s3Finding } from '../helpers/fixtures';
import { dispatcherWith } from '../helpers/worker-policies';

let stack: CrashStack;
beforeAll(async () => {
  stack = await startCrashStack('crash-server');
}, 90_000);
afterAll(async () => {
  await stack?.stop();
});

it('completes every execution when the dev server is killed mid-flight and started again on its database', async () => {
  // Prepare
  const random = seeded(SEED);
  const buckets = await publicBuckets(stack, 'srv', 30);
  const dispatcher = dispatcherWith(stack.client, stack.taskQueue, CRASH_SETTINGS);
  const started = Date.now();
  await Promise.all(
    buckets.map((b) => dispatcher.start({ finding: s3Finding(b), playbook: 's3-block-public-access' })),
  );
  let done = 0;
  const deadline = Date.now() + 90_000;
  const results = Promise.all(
    buckets.map(async (b) => {
      const result = await resultOf(stack.client, remediationWorkflowId(s3Finding(b).resource), deadline);
      done += 1;
      return result;
    }),
  );

  // Act: once a seeded number of changes went out, SIGKILL the server; start it again after a pause.
  const changes = (): number =>
    stack.proxy.find({ action: 'PutPublicAccessBlock', outcome: 'forwarded' }).length;
  const killAfter = random.between(3, 15);
  const until = Date.now() + 30_000;
  while (changes() < killAfter && Date.now() < until) await sleep(10);
  const doneAtKill = done;
  const atKill = `${changes()} changes out, ${done}/${buckets.length} done`;
  const downMs = random.between(1000, 3000);
  const killedAt = Date.now();
  await stack.crashServer(downMs);
  const backAfter = Date.now() - killedAt;
  const all = await results;
  const recovered = Date.now() - killedAt;

  // Assess
  const perTarget = mutationsPerTarget(stack.proxy, buckets);
  console.log(
    `dev server SIGKILLed (seed ${SEED}) with ${atKill}; answering again ${backAfter} ms later; all ` +
      `${all.length} done ${recovered} ms after the kill (${Date.now() - started} ms in all); statuses ` +
      `${JSON.stringify(countBy(all.map((r) => r.status)))}${notRemediated(all)}; mutating calls per bucket: ` +
      `${histogram([...perTarget.values()].map((e) => e.calls.length))}; in effect: ` +
      `${histogram([...perTarget.values()].map((e) => e.effective))}`,
  );
  // The worker was never restarted: it reconnected by itself.
  expect(stack.worker.unexpectedExits).toEqual([]);
  expect(stack.worker.starts).toBe(1);
  expect(doneAtKill).toBeLessThan(buckets.length);
  expect(all.map((r) => r.status)).toEqual(all.map(() => 'REMEDIATED'));
  for (const result of all) expect(result.outcomes[0]?.prior).toEqual({ publicAccessBlock: null });
  for (const [bucket, entry] of perTarget) expect([bucket, entry.effective]).toEqual([bucket, 1]);
  const blocks = await Promise.all(buckets.map((b) => publicAccessBlockOf(stack.raw.s3, b)));
  expect(blocks.filter((b) => !isFullyBlocked(b))).toEqual([]);
}, 120_000);
