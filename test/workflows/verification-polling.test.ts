/**
 * Verification reads the fix back until it holds, inside one activity (docs/architecture.md, Verification): on the
 * real dev server with real activities against moto. A read that lags behind the write (which moto, consistent at
 * once, cannot produce) is injected into the S3 client (test/helpers/stale-reads.ts).
 */
import { randomUUID } from 'node:crypto';
import type { temporal } from '@temporalio/proto';
import { remediationWorkflowId } from '../../src/domain/finding';
import type { Finding } from '../../src/domain/finding';
import type { Outcome, RemediationResult } from '../../src/domain/remediation';
import type { AwsClients } from '../../src/aws/clients';
import { createBucket, motoClients, publicAccessBlockOf } from '../helpers/aws';
import { fastSettings, s3Finding } from '../helpers/fixtures';
import { StaleReadClients } from '../helpers/stale-reads';
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

const PLAYBOOK = 's3-block-public-access';

/** The default policy's window: the seed's 60 s propagation wait. */
const WINDOW_MS = 60_000;

interface Run {
  readonly result: RemediationResult;
  readonly outcome: Outcome;
  readonly events: temporal.api.history.v1.IHistoryEvent[];
}

/** Remediates one new public bucket with `clients` and the given window; the result and the history. */
async function remediate(clients: AwsClients, propagationWaitMs: number): Promise<Run> {
  const taskQueue = `q-${randomUUID()}`;
  const bucket = `vp-${randomUUID().slice(0, 12)}`;
  await createBucket(stack.raw.s3, bucket);
  const finding: Finding = s3Finding(bucket);
  const worker = await stack.worker(taskQueue, stack.activities(clients));
  return worker.runUntil(async () => {
    const dispatcher = dispatcherWith(stack.env.client, taskQueue, fastSettings({ propagationWaitMs }));
    await dispatcher.start({ finding, playbook: PLAYBOOK });
    const handle = stack.env.client.workflow.getHandle(remediationWorkflowId(finding.resource));
    const result = (await handle.result()) as RemediationResult;
    const history = await handle.fetchHistory();
    const [outcome] = result.outcomes;
    if (!outcome) throw new Error('no outcome');
    return { result, outcome, events: history.events ?? [] };
  });
}

/** Each event's kind (the name of its attributes), in order: the shape of a history. */
function shape(events: readonly temporal.api.history.v1.IHistoryEvent[]): string[] {
  return events.map(
    (e) =>
      Object.keys(e).find(
        (k) => k.endsWith('EventAttributes') && (e as Record<string, unknown>)[k] != null,
      ) ?? '?',
  );
}

/** Milliseconds from the change to the deciding read. */
function changeToVerdict(outcome: Outcome): number {
  return Date.parse(outcome.verification?.at ?? '') - Date.parse(outcome.changes[0]?.at ?? '');
}

let firstReadShape: string[] | undefined;

it('calls the fix verified on the first read that passes, not after the window: one read, no durable wait', async () => {
  const { result, outcome, events } = await remediate(motoClients(stack.moto.endpoint), WINDOW_MS);

  expect(result.status).toBe('REMEDIATED');
  expect(outcome.verification).toMatchObject({ passed: true, reads: 1 });
  // The seed's path called it verified a whole window (60 s) after the change; now it is the next read.
  expect(changeToVerdict(outcome)).toBeLessThan(5_000);
  const kinds = shape(events);
  // The only timer is the cool-down's: no propagation wait.
  expect(kinds.filter((k) => k === 'timerStartedEventAttributes')).toHaveLength(1);
  const conclude = events.find(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'concludeRemediation',
  )?.activityTaskScheduledEventAttributes;
  // The window rides on the activity: its timeout covers it, and a heartbeat timeout hands a lost worker's reads on.
  expect(Number(String(conclude?.startToCloseTimeout?.seconds))).toBe((10_000 + WINDOW_MS) / 1000);
  expect(Number(String(conclude?.heartbeatTimeout?.seconds))).toBe(10);
  firstReadShape = kinds;
});

it('reads again, further apart, until a lagging read passes: verified on the fourth, with no history event per read', async () => {
  const clients = new StaleReadClients(stack.moto.endpoint, 3);

  const { result, outcome, events } = await remediate(clients, WINDOW_MS);

  expect(result.status).toBe('REMEDIATED');
  expect(outcome.verification).toMatchObject({ passed: true, reads: 4 });
  expect(clients.staleAnswered).toBe(3);
  expect(clients.readsAfterWrite).toBe(4);
  // Reads at 0, 1, 3 and 7 s: verified about 7 s after the change, well inside the window.
  const verdict = changeToVerdict(outcome);
  expect(verdict).toBeGreaterThanOrEqual(6_500);
  expect(verdict).toBeLessThan(20_000);
  // Four reads cost the history nothing: the same events, one for one, as a pass on the first read.
  expect(firstReadShape).toBeDefined();
  expect(shape(events)).toEqual(firstReadShape);
});

it('escalates when the fix never reads back within the window, after reading it back throughout', async () => {
  const clients = new StaleReadClients(stack.moto.endpoint, Infinity);

  const { result, outcome } = await remediate(clients, 3000);

  expect(result.status).toBe('ESCALATED');
  // Reads at 0 and 1 s, and the last at the window's end (3 s).
  expect(outcome.verification).toMatchObject({ passed: false, reads: 3 });
  expect(clients.readsAfterWrite).toBe(3);
  expect(changeToVerdict(outcome)).toBeGreaterThanOrEqual(2_900);
  expect(outcome.escalation).toMatchObject({
    errorType: 'VerificationFailed',
    reason: expect.stringContaining('still so after 3 reads over 3 s'),
  });
  // The change itself went out; only its read back lagged.
  expect(await publicAccessBlockOf(stack.raw.s3, outcome.finding.resource.resourceId)).toMatchObject({
    BlockPublicAcls: true,
  });
});
