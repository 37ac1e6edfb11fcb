/**
 * Metrics end to end (docs/observability.md): `remediator worker` and `remediator ingest` as operators run them, with
 * `METRICS_PORT` and `METRICS_EMF=true`, against the real dev server and moto. The findings sent cause known outcomes;
 * each process's `/metrics` is scraped and its stdout read as EMF, and both must count exactly what happened, as the
 * executions themselves record it.
 */
import { PutPublicAccessBlockCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { join } from 'node:path';
import { freePort } from '../../src/devstack/processes';
import type { Outcome } from '../../src/domain/remediation';
import { statusQuery } from '../../src/workflows/definitions';
import { createBucket } from '../helpers/aws';
import { remediator, stackProcessEnv } from '../helpers/cli-process';
import { emfLinesOf } from '../helpers/emf';
import type { EmfObject } from '../helpers/emf';
import { fixtureEvent, freshFixtureText } from '../helpers/fixtures';
import { scrape, sumOf } from '../helpers/prometheus-text';
import type { Sample } from '../helpers/prometheus-text';
import { startWorkflowStack } from '../helpers/workflow-stack';
import type { WorkflowStack } from '../helpers/workflow-stack';

const TASK_QUEUE = 'metrics-e2e';

let stack: WorkflowStack;
beforeAll(async () => {
  stack = await startWorkflowStack();
});
afterAll(async () => {
  await stack?.stop();
});

function stackEnv(metricsPort: number): Record<string, string> {
  return {
    ...stackProcessEnv({
      address: stack.env.address,
      motoEndpoint: stack.moto.endpoint,
      resources: stack.resources,
      taskQueue: TASK_QUEUE,
    }),
    REMEDIATION_POLICY: join(__dirname, '../../examples/policy-fast.yaml'),
    METRICS_PORT: String(metricsPort),
    METRICS_EMF: 'true',
  };
}

/** Every outcome the executions of the task queue have recorded so far (their `status` query). */
async function outcomesSoFar(): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for await (const e of stack.env.client.workflow.list({ query: `TaskQueue = '${TASK_QUEUE}'` })) {
    const snapshot = await stack.env.client.workflow.getHandle(e.workflowId).query(statusQuery);
    outcomes.push(...snapshot.outcomes);
  }
  return outcomes;
}

async function waitForOutcomes(count: number, timeoutMs: number): Promise<Outcome[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const outcomes = await outcomesSoFar().catch(() => []);
    if (outcomes.length >= count || Date.now() > deadline) return outcomes;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function send(body: string): Promise<void> {
  await stack.raw.sqs.send(
    new SendMessageCommand({ QueueUrl: stack.resources.ingestQueueUrl, MessageBody: body }),
  );
}

/** The value of metric `name` in the EMF lines whose dimension members include `dims`. */
function emfValues(lines: readonly EmfObject[], name: string, dims: Record<string, string> = {}): number[] {
  return lines
    .filter((l) => typeof l[name] === 'number' && Object.entries(dims).every(([k, v]) => l[k] === v))
    .map((l) => l[name] as number);
}

it('the worker and the ingest count each outcome, finding and AWS error they cause, on /metrics and as EMF', async () => {
  // Arrange: a public bucket to fix, one already blocked (nothing to do), both processes with metrics on.
  const [workerPort, ingestPort] = [await freePort(), await freePort()];
  await createBucket(stack.raw.s3, 'acme-marketing-assets');
  await createBucket(stack.raw.s3, 'metrics-blocked-bucket');
  await stack.raw.s3.send(
    new PutPublicAccessBlockCommand({
      Bucket: 'metrics-blocked-bucket',
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      },
    }),
  );
  const worker = remediator(['worker'], stackEnv(workerPort));
  const ingest = remediator(['ingest'], stackEnv(ingestPort));
  await worker.waitFor('"message":"Worker started"', 60_000);
  await ingest.waitFor('Ingest trust', 60_000);
  const publicBucket = freshFixtureText('config-s3-bucket-public-read-noncompliant.json');

  // Act: a fix, nothing to do, an escalation; then a repeat, a passed check with nothing running, a malformed message.
  await send(publicBucket);
  await send(publicBucket.replaceAll('acme-marketing-assets', 'metrics-blocked-bucket'));
  await send(freshFixtureText('guardduty-runtime-reverse-shell.json'));
  const outcomes = await waitForOutcomes(3, 90_000);
  await send(publicBucket);
  await send(
    JSON.stringify(fixtureEvent('config-s3-bucket-public-read-compliant.json')).replaceAll(
      'acme-marketing-assets',
      'metrics-no-execution-bucket',
    ),
  );
  await send('{"not":"an EventBridge event"}');
  // The ingest has settled all six and the worker has taken the repeat.
  const deadline = Date.now() + 60_000;
  let fromWorker: Sample[] = [];
  let fromIngest: Sample[] = [];
  while (Date.now() < deadline) {
    [fromWorker, fromIngest] = await Promise.all([
      scrape(`http://127.0.0.1:${workerPort}/metrics`),
      scrape(`http://127.0.0.1:${ingestPort}/metrics`),
    ]);
    const settled = sumOf(fromIngest, 'remediator_findings_received_total');
    const absorbed = sumOf(fromWorker, 'remediator_findings_absorbed_total');
    const handled = sumOf(fromWorker, 'remediator_remediations_total');
    if (settled >= 6 && absorbed >= 1 && handled >= 3) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  worker.kill('SIGTERM');
  ingest.kill('SIGTERM');
  expect(await Promise.all([worker.exited, ingest.exited])).toEqual([0, 0]);

  // Assess: the outcomes are the ones the findings call for.
  const byPlaybook = outcomes.map((o) => [o.playbook, o.status]).sort();
  expect(byPlaybook).toEqual([
    ['guardduty-finding-triage', 'ESCALATED'],
    ['s3-block-public-access', 'NO_ACTION'],
    ['s3-block-public-access', 'REMEDIATED'],
  ]);
  // The worker's scrape counts each outcome once, with its labels.
  for (const o of outcomes) {
    expect([
      o.playbook,
      o.status,
      sumOf(fromWorker, 'remediator_remediations_total', {
        playbook: o.playbook,
        outcome: o.status.toLowerCase(),
        source: o.finding.source,
        account: o.finding.resource.account,
      }),
    ]).toEqual([o.playbook, o.status, 1]);
  }
  expect(sumOf(fromWorker, 'remediator_remediations_total')).toBe(3);
  // MTTR: one observation, exactly the fix's verification time minus the finding's observation.
  const fixed = outcomes.find((o) => o.status === 'REMEDIATED') as Outcome;
  const mttr = (Date.parse(fixed.verification?.at ?? '') - Date.parse(fixed.finding.observedAt)) / 1000;
  const mttrLabels = { playbook: 's3-block-public-access', source: 'aws.config' };
  expect(sumOf(fromWorker, 'remediator_time_to_verified_fix_seconds_count', mttrLabels)).toBe(1);
  expect(sumOf(fromWorker, 'remediator_time_to_verified_fix_seconds_sum', mttrLabels)).toBeCloseTo(mttr, 3);
  expect(outcomes.find((o) => o.status === 'ESCALATED')?.escalation?.errorType).toBeUndefined();
  expect(
    sumOf(fromWorker, 'remediator_escalations_total', {
      playbook: 'guardduty-finding-triage',
      // The triage playbook has no steps: its analysis escalates every finding (no error type).
      reason: 'cannot_fix',
    }),
  ).toBe(1);
  expect(sumOf(fromWorker, 'remediator_findings_absorbed_total', { source: 'aws.config' })).toBe(1);
  // Reading a bucket without a block is an AWS error the playbook expects; it is counted, classed as not found.
  expect(
    sumOf(fromWorker, 'remediator_aws_api_errors_total', {
      service: 's3',
      code: 'NoSuchPublicAccessBlockConfiguration',
      class: 'not_found',
    }),
  ).toBeGreaterThanOrEqual(1);
  expect(sumOf(fromWorker, 'remediator_approvals_waiting')).toBe(0);
  expect(fromWorker.some((s) => s.name === 'remediator_approvals_waiting')).toBe(true);
  // The SDK's own runtime metrics are on the same endpoint.
  expect(sumOf(fromWorker, 'temporal_workflow_task_schedule_to_start_latency_count')).toBeGreaterThan(0);
  expect(sumOf(fromWorker, 'temporal_activity_execution_latency_count')).toBeGreaterThan(0);

  // The ingest's scrape: each finding by its disposition, every poll and every message's age.
  expect(sumOf(fromIngest, 'remediator_findings_received_total', { disposition: 'delivered' })).toBe(4);
  expect(sumOf(fromIngest, 'remediator_findings_received_total', { disposition: 'acknowledged' })).toBe(1);
  expect(sumOf(fromIngest, 'remediator_findings_received_total', { disposition: 'dead_lettered' })).toBe(1);
  expect(
    sumOf(fromIngest, 'remediator_findings_received_total', {
      source: 'aws.guardduty',
      disposition: 'delivered',
    }),
  ).toBe(1);
  expect(sumOf(fromIngest, 'remediator_ingest_polls_total', { result: 'ok' })).toBeGreaterThan(0);
  expect(sumOf(fromIngest, 'remediator_ingest_message_age_seconds_count')).toBe(6);

  // EMF: every line parses as EMF; the worker's carry the outcomes, the ingest's the dispositions.
  const workerEmf = emfLinesOf(worker.output());
  const ingestEmf = emfLinesOf(ingest.output());
  expect(emfValues(workerEmf, 'Remediations')).toEqual([1, 1, 1]);
  expect(
    emfValues(workerEmf, 'Remediations', { Playbook: 'guardduty-finding-triage', Outcome: 'escalated' }),
  ).toEqual([1]);
  const [emfMttr] = emfValues(workerEmf, 'TimeToVerifiedFix', { Playbook: 's3-block-public-access' });
  expect(emfMttr).toBeCloseTo(mttr, 3);
  expect(emfValues(workerEmf, 'Escalations')).toEqual([1]);
  expect(emfValues(ingestEmf, 'FindingsReceived', { Disposition: 'dead_lettered' })).toEqual([1]);
  expect(emfValues(ingestEmf, 'FindingsReceived')).toHaveLength(6);
}, 240_000);
