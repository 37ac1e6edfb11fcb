/**
 * What happens after a change that verified but hurt, on the real dev server with real activities against moto: the
 * health guard rolls an availability change back by itself and hands a security fix to a person; `onVerifyFailure:
 * rollback` undoes an availability change that did not verify.
 */
import { randomUUID } from 'node:crypto';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { GetPublicAccessBlockCommand } from '@aws-sdk/client-s3';
import { remediationWorkflowId } from '../../src/domain/finding';
import type { Finding } from '../../src/domain/finding';
import type { PlaybookSettings } from '../../src/domain/policy';
import type { RemediationResult } from '../../src/domain/remediation';
import { statusQuery } from '../../src/workflows/definitions';
import { cpuAlarmGroup } from '../helpers/asg';
import { createBucket, FIXTURE_REGION, TEST_CREDENTIALS } from '../helpers/aws';
import { fastSettings, s3Finding } from '../helpers/fixtures';
import { startWorkflowStack } from '../helpers/workflow-stack';
import type { WorkflowStack } from '../helpers/workflow-stack';
import { dispatcherWith } from '../helpers/worker-policies';

let stack: WorkflowStack;
let cloudwatch: CloudWatchClient;
beforeAll(async () => {
  stack = await startWorkflowStack();
  cloudwatch = new CloudWatchClient({
    endpoint: stack.moto.endpoint,
    region: FIXTURE_REGION,
    credentials: TEST_CREDENTIALS,
  });
});
afterAll(async () => {
  cloudwatch?.destroy();
  await stack?.stop();
});

/** A guard alarm (e.g. the application's 5xx rate), OK to begin with. */
async function guardAlarm(name: string): Promise<(state: 'OK' | 'ALARM') => Promise<unknown>> {
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      Namespace: 'App',
      MetricName: '5xxRate',
      Statistic: 'Average',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
    }),
  );
  const set = (state: 'OK' | 'ALARM') =>
    cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: name, StateValue: state, StateReason: `test: ${state}` }),
    );
  await set('OK');
  return set;
}

async function run(
  finding: Finding,
  playbook: string,
  overrides: Partial<PlaybookSettings>,
  meanwhile: (phase: string) => Promise<void>,
): Promise<RemediationResult> {
  const taskQueue = `q-${randomUUID()}`;
  const worker = await stack.worker(taskQueue, stack.activities());
  return worker.runUntil(async () => {
    await dispatcherWith(stack.env.client, taskQueue, fastSettings(overrides, 300)).start({
      finding,
      playbook,
    });
    const handle = stack.env.client.workflow.getHandle(remediationWorkflowId(finding.resource));
    const seen = new Set<string>();
    const watcher = (async () => {
      for (let i = 0; i < 400; i += 1) {
        const snapshot = await handle.query(statusQuery).catch(() => undefined);
        if (!snapshot || snapshot.outcomes.length > 0) return;
        if (!seen.has(snapshot.phase)) {
          seen.add(snapshot.phase);
          await meanwhile(snapshot.phase);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const result = await handle.result();
    await watcher;
    return result;
  });
}

it('rolls an availability change back by itself when a guard alarm goes to ALARM during the bake', async () => {
  const group = await cpuAlarmGroup(stack.moto.endpoint, `hg-${randomUUID().slice(0, 6)}`);
  const guard = `hg-5xx-${randomUUID().slice(0, 6)}`;
  const setGuard = await guardAlarm(guard);

  const result = await run(
    group.finding,
    'asg-scale-out',
    { propagationWaitMs: 1000, healthGuard: { alarms: [guard], bakeTimeMs: 2500 } },
    async (phase) => {
      if (phase === 'VERIFYING') await group.setAlarm('OK'); // the capacity helped the CPU...
      if (phase === 'BAKING') await setGuard('ALARM'); // ...but the new instances serve errors.
    },
  );

  expect(result.status).toBe('ROLLED_BACK');
  expect(result.outcomes[0]?.reason).toMatch(
    new RegExp(
      `^health guard: ${guard} went to ALARM within the bake time .*; rolled back raise-desired-capacity$`,
    ),
  );
  expect(result.outcomes[0]?.compensations).toEqual([
    expect.objectContaining({ step: 'raise-desired-capacity', changed: true }),
  ]);
  expect(await group.desired()).toBe(1);
  group.destroy();
});

it('keeps a security fix and escalates to a person when a guard alarm trips', async () => {
  const bucket = `hg-${randomUUID().slice(0, 12)}`;
  await createBucket(stack.raw.s3, bucket);
  const guard = `hg-site-${randomUUID().slice(0, 6)}`;
  const setGuard = await guardAlarm(guard);

  const result = await run(
    s3Finding(bucket),
    's3-block-public-access',
    { healthGuard: { alarms: [guard], bakeTimeMs: 2000 } },
    async (phase) => {
      if (phase === 'BAKING') await setGuard('ALARM');
    },
  );

  expect(result.status).toBe('ESCALATED');
  expect(result.outcomes[0]?.escalation).toMatchObject({
    errorType: 'HealthGuardTripped',
    reason: expect.stringMatching(
      /the security fix stays until a person decides \(remediator rollback remediation\//,
    ),
  });
  const block = await stack.raw.s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
  expect(block.PublicAccessBlockConfiguration?.BlockPublicAcls).toBe(true);
});

it('passes the bake when the guard alarms stay OK', async () => {
  const bucket = `hg-ok-${randomUUID().slice(0, 10)}`;
  await createBucket(stack.raw.s3, bucket);
  const guard = `hg-quiet-${randomUUID().slice(0, 6)}`;
  await guardAlarm(guard);

  const result = await run(
    s3Finding(bucket),
    's3-block-public-access',
    { healthGuard: { alarms: [guard], bakeTimeMs: 1500 } },
    async () => undefined,
  );

  expect(result.status).toBe('REMEDIATED');
});

it('onVerifyFailure: rollback undoes an availability change whose alarm did not recover', async () => {
  const group = await cpuAlarmGroup(stack.moto.endpoint, `vf-${randomUUID().slice(0, 6)}`);

  const result = await run(
    group.finding,
    'asg-scale-out',
    { onVerifyFailure: 'rollback' },
    async () => undefined,
  );

  expect(result.status).toBe('ROLLED_BACK');
  expect(result.outcomes[0]?.reason).toMatch(
    /^verification failed: .*alarm \S+ ALARM, not OK; rolled back raise-desired-capacity$/,
  );
  expect(await group.desired()).toBe(1);
  group.destroy();
});
