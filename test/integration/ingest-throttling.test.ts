/**
 * The ingest bridge while Temporal throttles: 200 events on moto SQS whose redrive dead-letters a message after two
 * receives, and a Temporal dev server behind an HTTP/2 proxy that answers every signal-with-start with
 * RESOURCE_EXHAUSTED for the first seconds. Left to its visibility timeout, a throttled message would come back and
 * count receives until SQS dead-letters it; held by the bridge (visibility extended, retried with backoff) none is
 * dead-lettered, every event starts its execution, and the queue ends empty.
 */
import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { MotoServer } from '../../src/devstack/moto-server';
import { SqsBridge } from '../../src/ingest/sqs-bridge';
import { silentLogger } from '../../src/logger';
import { checkReachable } from '../../src/temporal/connection';
import { rawClients, visibleAndInFlight } from '../helpers/aws';
import { bucketEvent, defaultPolicyHandler, workflowExists } from '../helpers/ingest-events';
import {
  createGrpcFaultProxy,
  GRPC_RESOURCE_EXHAUSTED,
  workflowServicePath,
} from '../helpers/grpc-fault-proxy';
import type { GrpcFaultProxy } from '../helpers/grpc-fault-proxy';
import { startSuiteMoto, startSuiteTemporal } from '../helpers/servers';
import { startTogether } from '../../src/devstack/processes';

const EVENTS = 200;
const THROTTLE_MS = 6000;
/** Receives before moto moves a message to the dead-letter queue: small, so a throttle would show at once. */
const MAX_RECEIVE_COUNT = 2;
/** The queue's visibility timeout: a message the bridge leaves comes back after it. */
const VISIBILITY_TIMEOUT_SECONDS = 2;

let env: TestWorkflowEnvironment;
let moto: MotoServer;
let proxy: GrpcFaultProxy;
let raw: ReturnType<typeof rawClients>;

beforeAll(async () => {
  [env, moto] = await startTogether([startSuiteTemporal(), startSuiteMoto()]);
  raw = rawClients(moto.endpoint);
  proxy = await createGrpcFaultProxy(env.address);
});
afterAll(async () => {
  await proxy?.close();
  await env?.teardown();
  await moto?.stop();
});

/** A source queue whose redrive moves a message to `dlq` after MAX_RECEIVE_COUNT receives. */
async function queues(): Promise<{ queueUrl: string; dlqUrl: string }> {
  const id = randomUUID().slice(0, 8);
  const dlq = await raw.sqs.send(new CreateQueueCommand({ QueueName: `throttle-dlq-${id}` }));
  const dlqArn = (
    await raw.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
    )
  ).Attributes?.QueueArn;
  const source = await raw.sqs.send(
    new CreateQueueCommand({
      QueueName: `throttle-${id}`,
      Attributes: {
        VisibilityTimeout: String(VISIBILITY_TIMEOUT_SECONDS),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: MAX_RECEIVE_COUNT }),
      },
    }),
  );
  return { queueUrl: source.QueueUrl!, dlqUrl: dlq.QueueUrl! };
}

/** A fresh NON_COMPLIANT public-read event for `bucket`, with an event id of its own. */
const freshIdEvent = (bucket: string): string =>
  JSON.stringify({ ...(JSON.parse(bucketEvent(bucket)) as object), id: randomUUID() });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('dead-letters nothing while Temporal throttles: every event is held, retried and delivered', async () => {
  // Prepare: 200 events for distinct buckets on a queue that dead-letters after two receives.
  const { queueUrl, dlqUrl } = await queues();
  const buckets = Array.from({ length: EVENTS }, (_, i) => `th${i}-${randomUUID().slice(0, 8)}`);
  for (let i = 0; i < buckets.length; i += 10) {
    await raw.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: buckets.slice(i, i + 10).map((b, j) => ({ Id: String(j), MessageBody: freshIdEvent(b) })),
      }),
    );
  }
  // The SDK's own retry of a throttled call backs off for about 30 s (10 attempts from 1 s), longer than this queue's
  // 2 s visibility timeout; two quick attempts keep the test short and let the bridge see RESOURCE_EXHAUSTED.
  const connection = Connection.lazy({
    address: proxy.address,
    interceptors: [
      makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 2, initialIntervalMs: () => 20 })),
    ],
  });
  const client = new Client({ connection, namespace: 'default' });
  const taskQueue = `no-worker-${randomUUID()}`;
  const bridge = new SqsBridge({
    sqs: raw.sqs,
    queueUrl,
    deadLetterQueueUrl: dlqUrl,
    handleMessage: defaultPolicyHandler(client, taskQueue),
    checkTemporal: () => checkReachable(client, 1000),
    logger: silentLogger,
    waitTimeSeconds: 1,
    backoffInitialMs: 250,
    backoffMaxMs: 1000,
    heldVisibilityMarginSeconds: 5,
  });
  // Every signal-with-start (and plain start or signal) is throttled for THROTTLE_MS; GetSystemInfo, the bridge's
  // probe, passes: a throttled namespace still answers.
  const started = Date.now();
  proxy.setFault({
    paths: ['SignalWithStartWorkflowExecution', 'StartWorkflowExecution', 'SignalWorkflowExecution'].map(
      workflowServicePath,
    ),
    code: GRPC_RESOURCE_EXHAUSTED,
    message: 'namespace rate limit exceeded',
    untilMs: started + THROTTLE_MS,
  });
  const stop = new AbortController();
  const run = bridge.run(stop.signal);

  // Act: run until the queue is empty (delivered, or moved to the dead-letter queue by SQS).
  const deadline = started + 40_000;
  for (;;) {
    const [visible, inFlight] = await visibleAndInFlight(raw.sqs, queueUrl);
    if ((visible === 0 && inFlight === 0) || Date.now() > deadline) break;
    await sleep(250);
  }
  const drainedMs = Date.now() - started;
  stop.abort();
  await run;
  proxy.setFault(undefined);
  await connection.close();
  const [dlqVisible, dlqInFlight] = await visibleAndInFlight(raw.sqs, dlqUrl);
  const throttledCalls = proxy.faulted.get(workflowServicePath('SignalWithStartWorkflowExecution')) ?? 0;
  console.log(
    `throttled Temporal for ${THROTTLE_MS} ms: ${EVENTS} events, queue drained after ${drainedMs} ms; ` +
      `${throttledCalls} signal-with-start calls answered RESOURCE_EXHAUSTED; dead-letter queue: ${dlqVisible}; ` +
      `bridge ${JSON.stringify(bridge.stats)}`,
  );

  // Assess: nothing dead-lettered, by SQS or by the bridge; every event delivered from its one receive.
  expect(dlqVisible + dlqInFlight).toBe(0);
  expect(bridge.stats).toMatchObject({ delivered: EVENTS, deadLettered: 0, released: 0, received: EVENTS });
  expect(await visibleAndInFlight(raw.sqs, queueUrl)).toEqual([0, 0]);
  // The throttle was real: many calls were refused, the bridge saw them as throttling and held those messages.
  expect(throttledCalls).toBeGreaterThanOrEqual(40);
  expect(bridge.stats.throttled).toBeGreaterThanOrEqual(40);
  expect(bridge.stats.retried).toBe(bridge.stats.deferred);
  expect(bridge.stats.outages).toBe(0);
  // Each event started its resource's execution.
  const exists = await Promise.all(
    buckets.map((b) =>
      workflowExists(env.client, `remediation/123456789012/ap-northeast-1/AWS::S3::Bucket/${b}`),
    ),
  );
  expect(exists.filter(Boolean)).toHaveLength(EVENTS);
});
