/**
 * Tracing in one process (docs/observability.md, Traces), against moto and in-process collectors: each AWS call the
 * product's clients make is a CLIENT span under the active span, with the AWS SDK conventions' attributes and nothing
 * of the request; a failed call is an error span named by the error; the spans leave on stop (the batch is flushed)
 * over each OTLP protocol: JSON and protobuf over HTTP, and gRPC.
 */
import { CreateBucketCommand, GetPublicAccessBlockCommand } from '@aws-sdk/client-s3';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { trace } from '@opentelemetry/api';
import type { TracingConfig } from '../../src/config';
import type { MotoServer } from '../../src/devstack/moto-server';
import { freePort, startTogether } from '../../src/devstack/processes';
import type { Logger } from '../../src/logger';
import { activeTraceFields } from '../../src/telemetry/trace-fields';
import { startTracing } from '../../src/telemetry/tracing';
import { FIXTURE_ACCOUNT, FIXTURE_REGION, motoClients } from '../helpers/aws';
import { startOtlpReceiver } from '../helpers/otlp-receiver';
import type { OtlpReceiver } from '../helpers/otlp-receiver';
import { startSuiteMoto } from '../helpers/servers';

let moto: MotoServer;
let receiver: OtlpReceiver;

beforeAll(async () => {
  [moto, receiver] = await startTogether([startSuiteMoto(), startOtlpReceiver()]);
});
afterAll(async () => {
  await moto?.stop();
  await receiver?.stop();
});

function config(protocol: TracingConfig['protocol'], url = `${receiver.endpoint}/v1/traces`): TracingConfig {
  return { url, protocol, serviceName: 'remediator-tracing-test' };
}

/** Runs `fn` inside a span named `name` of a test tracer; returns the span's trace and span ids. */
async function inSpan(name: string, fn: () => Promise<void>): Promise<{ traceId: string; spanId: string }> {
  return trace.getTracer('test').startActiveSpan(name, async (span) => {
    try {
      await fn();
      return span.spanContext();
    } finally {
      span.end();
    }
  });
}

it('makes each AWS call a CLIENT span under the active one, with the conventions and without the request', async () => {
  const tracing = await startTracing(config('http/json'));
  const clients = motoClients(moto.endpoint);
  const bucket = 'tracing-export-bucket';
  let fields: ReturnType<typeof activeTraceFields> = {};
  const parent = await inSpan('activity', async () => {
    fields = activeTraceFields();
    const s3 = clients.s3(FIXTURE_ACCOUNT, FIXTURE_REGION);
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        CreateBucketConfiguration: { LocationConstraint: FIXTURE_REGION },
      }),
    );
    await expect(s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).rejects.toThrow();
  });
  clients.destroy();
  // Nothing was exported yet (the batch waits 5 s); the stop flushes it.
  await tracing.shutdown();

  expect(fields).toEqual({ trace_id: parent.traceId, span_id: parent.spanId });
  const spans = receiver.spans().filter((s) => s.traceId === parent.traceId);
  const [create, get] = ['S3.CreateBucket', 'S3.GetPublicAccessBlock'].map((name) =>
    spans.find((s) => s.name === name),
  );
  const conventions = {
    'rpc.system': 'aws-api',
    'rpc.service': 'S3',
    'cloud.region': FIXTURE_REGION,
    'cloud.account.id': FIXTURE_ACCOUNT,
  };
  expect(create).toMatchObject({
    service: 'remediator-tracing-test',
    parentSpanId: parent.spanId,
    kind: 3,
    attributes: { ...conventions, 'rpc.method': 'CreateBucket', 'http.response.status_code': 200 },
  });
  expect(create?.status?.code ?? 0).not.toBe(2);
  expect(get).toMatchObject({
    parentSpanId: parent.spanId,
    kind: 3,
    attributes: {
      ...conventions,
      'rpc.method': 'GetPublicAccessBlock',
      'http.response.status_code': 404,
      'error.type': 'NoSuchPublicAccessBlockConfiguration',
    },
    status: { code: 2, message: 'NoSuchPublicAccessBlockConfiguration' },
  });
  for (const s of [create, get]) {
    expect(s?.attributes['aws.request_id']).toEqual(expect.any(String));
    // The request stays out: no attribute names the bucket.
    expect(JSON.stringify(s?.attributes)).not.toContain(bucket);
  }
});

it('exports protobuf over HTTP by default, to the traces path', async () => {
  const before = receiver.requests.length;
  const tracing = await startTracing(config('http/protobuf'));
  const probe = await inSpan('protobuf-probe', async () => undefined);
  await tracing.shutdown();

  const sent = receiver.requests.slice(before).filter((r) => r.path === '/v1/traces');
  expect(sent.map((r) => r.contentType)).toEqual(['application/x-protobuf']);
  // Protobuf carries strings as UTF-8 and ids as raw bytes.
  const body = sent[0]?.body ?? Buffer.alloc(0);
  expect(body.includes(Buffer.from('protobuf-probe'))).toBe(true);
  expect(body.includes(Buffer.from(probe.traceId, 'hex'))).toBe(true);
  expect(body.includes(Buffer.from('remediator-tracing-test'))).toBe(true);
});

it('exports over gRPC to the collector address', async () => {
  const received: Buffer[] = [];
  const server = new Server();
  const bytes = (b: Buffer): Buffer => b;
  server.addService(
    {
      Export: {
        path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        requestStream: false,
        responseStream: false,
        requestSerialize: bytes,
        requestDeserialize: bytes,
        responseSerialize: bytes,
        responseDeserialize: bytes,
      },
    },
    {
      Export: (call: { request: Buffer }, done: (err: null, response: Buffer) => void) => {
        received.push(call.request);
        done(null, Buffer.alloc(0));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  try {
    const tracing = await startTracing(config('grpc', `http://127.0.0.1:${port}`));
    const probe = await inSpan('grpc-probe', async () => undefined);
    await tracing.shutdown();
    expect(received).toHaveLength(1);
    expect(received[0]?.includes(Buffer.from('grpc-probe'))).toBe(true);
    expect(received[0]?.includes(Buffer.from(probe.traceId, 'hex'))).toBe(true);
  } finally {
    server.forceShutdown();
  }
});

it('with tracing off, records nothing and puts no trace fields on log lines', async () => {
  const before = receiver.requests.length;
  const clients = motoClients(moto.endpoint);
  let fields: ReturnType<typeof activeTraceFields> | undefined;
  await inSpan('untraced', async () => {
    fields = activeTraceFields();
    await clients
      .s3(FIXTURE_ACCOUNT, FIXTURE_REGION)
      .send(new GetPublicAccessBlockCommand({ Bucket: 'x' }))
      .catch(() => undefined);
  });
  clients.destroy();
  expect(fields).toEqual({});
  expect(receiver.requests.length).toBe(before);
});

it('reports an unreachable collector as an error line of the process, and still stops', async () => {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const collect =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push({ level, message, ...(fields ? { fields } : {}) });
    };
  const logger: Logger = {
    debug: collect('debug'),
    info: collect('info'),
    warn: collect('warn'),
    error: collect('error'),
  };
  // A port nothing listens on: connections are refused at once.
  const closed = await freePort();
  const tracing = await startTracing(config('http/protobuf', `http://127.0.0.1:${closed}/v1/traces`), logger);
  await inSpan('lost', async () => undefined);
  await tracing.shutdown();
  expect(lines).toEqual([
    {
      level: 'error',
      message: 'OpenTelemetry: the last spans could not be exported',
      fields: { details: [expect.stringContaining('ECONNREFUSED')] },
    },
  ]);
});
