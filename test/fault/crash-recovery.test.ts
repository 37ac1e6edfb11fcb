/**
 * `remediator worker` killed with SIGKILL while 100 remediations run (80 public S3 buckets, 20 security groups with
 * world-open SSH), restarted each time. The first kill comes at the worst moment: just as a PutPublicAccessBlock
 * reaches AWS, before the activity can complete (first, while most changes still lie ahead: later, the changes can
 * all have gone out while completions lag behind by the cool-down, and the kill would never come). The others come
 * at seeded random moments once the restarted worker makes progress again. Every execution must end REMEDIATED, every change applied once in effect (the proxy notes before each
 * mutating call reaches moto whether it still changes anything; repeats are allowed only as no-ops), every recorded
 * prior state the original one, and nothing half-done.
 *
 * Other crashes: test/fault/ingest-crash.test.ts (the ingest bridge), test/fault/server-restart.test.ts (the dev
 * server). FAULT_SEED replays a kill schedule.
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
  sshFinding,
  startCrashStack,
  worldOpenPorts,
  worldOpenSshGroups,
} from '../helpers/crash-stack';
import type { CrashStack } from '../helpers/crash-stack';
import { s3Finding } from '../helpers/fixtures';
import { dispatcherWith } from '../helpers/worker-policies';

const KILLS = 3;
const APPLY_ACTIONS = new Set(['PutPublicAccessBlock', 'RevokeSecurityGroupIngress']);

let stack: CrashStack;
beforeAll(async () => {
  stack = await startCrashStack('crash-worker');
}, 90_000);
afterAll(async () => {
  await stack?.stop();
});

it('survives SIGKILL of the worker during 100 remediations: each change once in effect, priors original, nothing half-done', async () => {
  // Prepare: every execution started at once.
  const random = seeded(SEED);
  const buckets = await publicBuckets(stack, 'kill', 80);
  const groups = await worldOpenSshGroups(stack, 20);
  const findings = [
    ...buckets.map((b) => ({ finding: s3Finding(b), playbook: 's3-block-public-access' })),
    ...groups.map((g) => ({ finding: sshFinding(g), playbook: 'sg-close-admin-ports' })),
  ];
  const dispatcher = dispatcherWith(stack.client, stack.taskQueue, CRASH_SETTINGS);
  const started = Date.now();
  for (let i = 0; i < findings.length; i += 20) {
    await Promise.all(findings.slice(i, i + 20).map((f) => dispatcher.start(f)));
  }
  let done = 0;
  const deadline = Date.now() + 100_000;
  const results = Promise.all(
    findings.map(async ({ finding }) => {
      const result = await resultOf(stack.client, remediationWorkflowId(finding.resource), deadline);
      done += 1;
      return result;
    }),
  );
  const waitFor = async (ready: () => boolean, ms: number): Promise<void> => {
    const until = Date.now() + ms;
    while (!ready() && done < findings.length && Date.now() < until) await sleep(10);
  };

  // Act: kill the worker KILLS times, restarting it each time. Before each kill the (restarted) worker must have
  // completed a few more executions: a killed worker's workflows wait ~10 s for its sticky queue to time out, and
  // kills faster than that would starve the control workflow that admits every first change, so admission checks
  // would run out of attempts and escalate (safely, nothing changed) instead of remediating.
  const kills: string[] = [];
  for (let k = 0; k < KILLS && done < findings.length; k += 1) {
    const progress = random.between(3, 10);
    const base = done;
    await waitFor(() => done >= base + progress, 60_000);
    const at = () => `+${Date.now() - started} ms, ${done}/${findings.length} done`;
    let when: string;
    if (k === 0) {
      // The worst moment: the change reaches AWS while the worker that sent it dies.
      let killed: Promise<void> | undefined;
      const skip = random.between(0, 5);
      const rule = stack.proxy.addRule({
        service: 's3',
        action: 'PutPublicAccessBlock',
        skip,
        times: 1,
        before: () => {
          killed = stack.worker.kill9();
          return undefined;
        },
      });
      await waitFor(() => rule.applied > 0, 40_000);
      rule.remove();
      if (!killed) break;
      await killed;
      when = `as the ${ordinal(skip + 1)} PutPublicAccessBlock after ${progress} more completions reached AWS (${at()})`;
    } else {
      // A random moment.
      const extraMs = random.between(0, 1500);
      await sleep(extraMs);
      if (done === findings.length) break;
      await stack.worker.kill9();
      when = `${extraMs} ms after ${progress} more completions (${at()})`;
    }
    const startupMs = await stack.worker.start();
    kills.push(`${when}, restarted in ${startupMs} ms`);
  }
  const all = await results;
  const elapsed = Date.now() - started;
  const changesAt = stack.proxy.calls
    .filter((c) => APPLY_ACTIONS.has(c.action) && c.outcome === 'forwarded')
    .map((c) => c.receivedAt - started);
  // Every attempt of the admission check reads the resource's tags first.
  const admissionAttempts =
    stack.proxy.find({ action: 'GetBucketTagging' }).length +
    stack.proxy.find({ action: 'DescribeTags' }).length;

  // Assess
  const perTarget = mutationsPerTarget(stack.proxy, [...buckets, ...groups]);
  // A retry that finds its step's change made records it as the remediation's ("done by an earlier attempt").
  const foundDone = all.filter((r) =>
    r.outcomes[0]?.changes.some((c) => c.detail.startsWith('done by an earlier attempt')),
  ).length;
  console.log(
    `worker kills (seed ${SEED}): ${kills.length}\n  - ${kills.join('\n  - ')}\n` +
      `executions: ${all.length} (${buckets.length} buckets, ${groups.length} groups), all done ${elapsed} ms after the ` +
      `start; statuses ${JSON.stringify(countBy(all.map((r) => r.status)))}${notRemediated(all)}\n` +
      `mutating calls per resource: ${histogram([...perTarget.values()].map((e) => e.calls.length))}; ` +
      `in effect: ${histogram([...perTarget.values()].map((e) => e.effective))}; ` +
      `retried apply steps that found their change already made: ${foundDone}; changes went out from ` +
      `+${changesAt[0]} to +${changesAt.at(-1)} ms; admission check attempts: ${admissionAttempts}\n` +
      `AWS requests at the proxy: ${stack.proxy.calls.length} ${JSON.stringify(stack.proxy.counts())}`,
  );
  expect(stack.worker.unexpectedExits).toEqual([]);
  expect(kills).toHaveLength(KILLS);
  expect(all.map((r) => r.status)).toEqual(all.map(() => 'REMEDIATED'));
  for (const [target, entry] of perTarget) {
    // Exactly one call changed the resource; any repeat found it already changed.
    expect([target, entry.effective]).toEqual([target, 1]);
    expect(entry.calls.filter((c) => !APPLY_ACTIONS.has(c.action))).toEqual([]);
  }
  // A kill at the worst moment leaves a change made but not reported: the retry finds it done.
  expect(foundDone).toBeGreaterThanOrEqual(1);
  for (const result of all.slice(0, buckets.length)) {
    const [outcome] = result.outcomes;
    expect(outcome?.prior).toEqual({ publicAccessBlock: null });
    expect(outcome?.changes.map((c) => [c.step, c.prior])).toEqual([
      ['put-public-access-block', { publicAccessBlock: null }],
    ]);
    expect(outcome?.verification?.passed).toBe(true);
  }
  for (const result of all.slice(buckets.length)) {
    const [outcome] = result.outcomes;
    expect(outcome?.prior?.ingress).toEqual([
      expect.objectContaining({ protocol: 'tcp', fromPort: 22, toPort: 22, cidrIpv4: '0.0.0.0/0' }),
    ]);
    expect(outcome?.changes.map((c) => c.step)).toEqual(['revoke-world-open-admin-ports']);
    expect(outcome?.verification?.passed).toBe(true);
  }
  // Nothing half-done: every bucket fully blocked, every group closed.
  const blocks = await Promise.all(buckets.map((b) => publicAccessBlockOf(stack.raw.s3, b)));
  expect(blocks.filter((b) => !isFullyBlocked(b))).toEqual([]);
  const open = await Promise.all(groups.map((g) => worldOpenPorts(stack.ec2, g)));
  expect(open.filter((ports) => ports.length > 0)).toEqual([]);
}, 170_000);

function ordinal(n: number): string {
  return `${n}${n === 1 ? 'st' : n === 2 ? 'nd' : n === 3 ? 'rd' : 'th'}`;
}
