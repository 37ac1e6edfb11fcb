/**
 * Traces end to end (docs/observability.md, Traces): `remediator worker` and `remediator ingest` as operators run them,
 * with `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at an in-process OTLP receiver, against the real dev server and moto. One
 * public-bucket finding must arrive as one trace: the bridge's message span, the signal-with-start client span, the
 * workflow run, the activity that fixes the bucket and its `S3.PutPublicAccessBlock` call, each the parent of the next;
 * and log lines of both processes name that trace.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { createLocalResources } from '../../src/devstack/local-resources';
import type { LocalResources } from '../../src/devstack/local-resources';
import type { MotoServer } from '../../src/devstack/moto-server';
import { startTogether } from '../../src/devstack/processes';
import type { RemediationResult } from '../../src/domain/remediation';
import { NO_EMF } from '../../src/metrics/emf';
import { metricsSinks } from '../../src/metrics/metrics-sinks';
import { WORKFLOW_INTERCEPTOR_MODULES, workflowTracingSinks } from '../../src/telemetry/temporal-tracing';
import { TRACING_OFF } from '../../src/telemetry/tracing';
import { WORKFLOW_PRELOAD_MODULES, WORKFLOWS_PATH } from '../../src/worker';
import { createBucket, publicAccessBlockOf, rawClients } from '../helpers/aws';
import { remediator, stackProcessEnv } from '../helpers/cli-process';
import { freshFixtureText } from '../helpers/fixtures';
import { startOtlpReceiver } from '../helpers/otlp-receiver';
import type { OtlpReceiver, ReceivedSpan } from '../helpers/otlp-receiver';
import { startSuiteMoto, startSuiteTemporal } from '../helpers/servers';

const TASK_QUEUE = 'traces-e2e';
const BUCKET = 'acme-marketing-assets';
/** OTLP's span kinds. */
const CLIENT = 3;
const CONSUMER = 5;

let env: TestWorkflowEnvironment;
let moto: MotoServer;
let raw: ReturnType<typeof rawClients>;
let resources: LocalResources;
let receiver: OtlpReceiver;
let scratch: string;

beforeAll(async () => {
  [env, moto, receiver] = await startTogether([startSuiteTemporal(), startSuiteMoto(), startOtlpReceiver()]);
  raw = rawClients(moto.endpoint);
  resources = await createLocalResources(raw, 'traces');
  scratch = mkdtempSync(join(tmpdir(), 'remediator-traces-'));
});
afterAll(async () => {
  await env?.teardown();
  await moto?.stop();
  await receiver?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** The fast example policy with a one-second cool-down, so the workflow run (and its span) ends soon after the fix. */
function quickPolicy(): string {
  const path = join(scratch, 'policy.yaml');
  const text = readFileSync(join(__dirname, '../../examples/policy-fast.yaml'), 'utf8');
  const quick = text.replace(/^cooldownMs: \d+$/m, 'cooldownMs: 1000');
  expect(quick).not.toBe(text);
  writeFileSync(path, quick);
  return path;
}

function processEnv(policyPath: string): Record<string, string> {
  return {
    ...stackProcessEnv({
      address: env.address,
      motoEndpoint: moto.endpoint,
      resources,
      taskQueue: TASK_QUEUE,
    }),
    REMEDIATION_POLICY: policyPath,
    // Traces (and the runtime's metrics) to the receiver; traces as OTLP/JSON, which the test decodes.
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
  };
}

/** The span and its ancestors, nearest first, as far as the received spans reach. */
function ancestry(span: ReceivedSpan, spans: readonly ReceivedSpan[]): ReceivedSpan[] {
  const chain = [span];
  for (let s = span; s.parentSpanId;) {
    const parent = spans.find((p) => p.traceId === s.traceId && p.spanId === s.parentSpanId);
    if (!parent) break;
    chain.push(parent);
    s = parent;
  }
  return chain;
}

/** Whether OTLP metric exports (POST /v1/metrics, protobuf) named each of `names`, waiting up to `timeoutMs`. */
async function metricsExported(
  names: readonly string[],
  timeoutMs: number,
): Promise<Record<string, boolean>> {
  const deadline = Date.now() + timeoutMs;
  const seen = (): Record<string, boolean> => {
    const bodies = receiver.requests.filter((r) => r.path === '/v1/metrics').map((r) => r.body);
    return Object.fromEntries(names.map((n) => [n, bodies.some((b) => b.includes(n))]));
  };
  while (Date.now() < deadline && !Object.values(seen()).every(Boolean)) {
    await new Promise((r) => setTimeout(r, 250));
  }
  return seen();
}

it('one trace runs from the bridge through signal-with-start, the workflow and its activity to the AWS call', async () => {
  // Arrange: a public bucket to fix; the worker and the ingest exporting traces to the receiver.
  await createBucket(raw.s3, BUCKET);
  const policy = quickPolicy();
  const worker = remediator(['worker'], processEnv(policy));
  const ingest = remediator(['ingest'], processEnv(policy));
  await worker.waitFor('"message":"Worker started"', 60_000);
  await ingest.waitFor('Ingest trust', 60_000);
  expect(worker.output()).toContain(
    `"traces":"OTLP (http/json) to ${receiver.endpoint}/v1/traces as remediator-worker"`,
  );

  // Act: one finding; wait for its run to end (the cool-down after the fix), then stop both processes.
  await raw.sqs.send(
    new SendMessageCommand({
      QueueUrl: resources.ingestQueueUrl,
      MessageBody: freshFixtureText('config-s3-bucket-public-read-noncompliant.json'),
    }),
  );
  const workflowId = await firstWorkflowId(60_000);
  const handle = env.client.workflow.getHandle(workflowId);
  const result = (await handle.result()) as RemediationResult;
  // The same endpoint takes the metrics (no METRICS_PORT here): wait for an export carrying the outcome and the finding.
  const exported = await metricsExported(
    ['remediator_remediations_total', 'remediator_findings_received_total'],
    30_000,
  );
  worker.kill('SIGTERM');
  ingest.kill('SIGTERM');
  expect(await Promise.all([worker.exited, ingest.exited])).toEqual([0, 0]);

  // Assess: both processes exported their metrics over OTLP/HTTP (OTEL_EXPORTER_OTLP_ENDPOINT + /v1/metrics).
  expect(exported).toEqual({
    remediator_remediations_total: true,
    remediator_findings_received_total: true,
  });
  // The bucket was fixed, and every span of the chain arrived, linked parent to child.
  expect(result.outcomes.map((o) => o.status)).toEqual(['REMEDIATED']);
  expect((await publicAccessBlockOf(raw.s3, BUCKET))?.BlockPublicAcls).toBe(true);
  const spans = receiver.spans();
  const puts = spans.filter((s) => s.name === 'S3.PutPublicAccessBlock');
  expect(puts).toHaveLength(1);
  const put = puts[0] as ReceivedSpan;
  const chain = ancestry(put, spans);
  const activity = chain[1]?.name.split(':')[1] ?? '(none)';
  expect(chain.map((s) => [s.service, s.name])).toEqual([
    ['remediator-worker', 'S3.PutPublicAccessBlock'],
    ['remediator-worker', `RunActivity:${activity}`],
    ['remediator-worker', `StartActivity:${activity}`],
    ['remediator-worker', 'RunWorkflow:remediationWorkflow'],
    ['remediator-ingest', 'SignalWithStartWorkflow:remediationWorkflow'],
    ['remediator-ingest', 'ingest message'],
  ]);
  const [run, signalWithStart, message] = chain.slice(3) as [ReceivedSpan, ReceivedSpan, ReceivedSpan];
  // The message span is the trace's root, a consumer of the ingest queue that delivered the finding.
  expect(message.parentSpanId ?? '').toBe('');
  expect(message.kind).toBe(CONSUMER);
  expect(message.attributes).toMatchObject({
    'messaging.system': 'aws_sqs',
    'messaging.operation.type': 'process',
    'messaging.destination.name': resources.ingestQueueUrl.split('/').pop(),
    'remediator.disposition': 'delivered',
  });
  expect(message.attributes['messaging.message.id']).toEqual(expect.any(String));
  expect(signalWithStart.attributes).toMatchObject({ temporalWorkflowId: workflowId });
  expect(run.attributes).toMatchObject({ workflowId, workflowType: 'remediationWorkflow' });
  // The AWS call: a client span with the AWS SDK conventions' attributes and no request or response in it.
  expect(put.kind).toBe(CLIENT);
  expect(put.attributes).toMatchObject({
    'rpc.system': 'aws-api',
    'rpc.service': 'S3',
    'rpc.method': 'PutPublicAccessBlock',
    'cloud.region': 'ap-northeast-1',
    'http.response.status_code': 200,
  });
  expect(Object.keys(put.attributes).sort()).toEqual(
    expect.arrayContaining(['aws.request_id', 'cloud.account.id']),
  );
  // Every call the fix made to AWS (reads, the change, the re-read) is in the same trace, below an activity.
  const traceId = put.traceId;
  const awsCalls = spans.filter((s) => s.traceId === traceId && s.attributes['rpc.system'] === 'aws-api');
  expect(awsCalls.map((s) => s.name)).toEqual(expect.arrayContaining(['S3.GetPublicAccessBlock']));
  for (const call of awsCalls) expect(ancestry(call, spans).at(-1)?.name).toBe('ingest message');
  // A failed AWS call (reading a block the bucket does not have yet) is an error span named by the error.
  const failed = awsCalls.filter((s) => s.status?.code === 2);
  expect(failed.map((s) => s.attributes['error.type'])).toContain('NoSuchPublicAccessBlockConfiguration');

  // The logs: the ingest's delivery line and a worker line for this finding carry the trace id.
  const delivered = ingest
    .output()
    .split('\n')
    .filter((l) => l.includes('"message":"Finding delivered"'))
    .map((l) => JSON.parse(l) as { trace_id?: string; span_id?: string });
  expect(delivered).toEqual([expect.objectContaining({ trace_id: traceId, span_id: message.spanId })]);
  const workerLines = worker
    .output()
    .split('\n')
    .filter((l) => l.includes(`trace_id: '${traceId}'`));
  // The workflow's own lines (through the sandbox's interceptor) and the activity's, with the activity run's span.
  expect(workerLines.filter((l) => l.includes("sdkComponent: 'workflow'")).length).toBeGreaterThan(0);
  const applied = workerLines.filter((l) => l.includes('[INFO] Step applied'));
  expect(applied).toHaveLength(1);
  expect(applied[0]).toContain(`span_id: '${chain[1]?.spanId}'`);

  // The traced run's history replays against the workflow code as bundled: tracing added no command.
  const bundle = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    preloadModules: [...WORKFLOW_PRELOAD_MODULES],
    workflowInterceptorModules: [...WORKFLOW_INTERCEPTOR_MODULES],
    logger: new DefaultLogger('WARN'),
  });
  const history = await handle.fetchHistory();
  expect(JSON.stringify(history.events?.[0]?.workflowExecutionStartedEventAttributes?.header)).toContain(
    '_tracer-data',
  );
  await expect(
    Worker.runReplayHistory(
      { workflowBundle: bundle, sinks: { ...metricsSinks(NO_EMF), ...workflowTracingSinks(TRACING_OFF) } },
      history,
      workflowId,
    ),
  ).resolves.toBeUndefined();
}, 240_000);

/** The id of the first execution on the task queue, once there is one. */
async function firstWorkflowId(timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for await (const e of env.client.workflow.list({ query: `TaskQueue = '${TASK_QUEUE}'` })) {
      return e.workflowId;
    }
    if (Date.now() > deadline) throw new Error(`no execution on ${TASK_QUEUE} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
