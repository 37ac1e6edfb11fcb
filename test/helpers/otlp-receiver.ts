/**
 * An in-process OTLP/HTTP receiver for tests: a plain `node:http` server on 127.0.0.1 that records every POST (path,
 * content type, body) and answers as a collector does (200 with an empty export response), and the spans of the
 * OTLP/JSON trace exports it received, flattened with their service name.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the receiver took. */
export interface OtlpRequest {
  readonly path: string;
  readonly contentType: string;
  readonly body: Buffer;
}

/** An OTLP/JSON attribute value (only the kinds our spans use). */
interface AnyValue {
  readonly stringValue?: string;
  readonly intValue?: number | string;
  readonly boolValue?: boolean;
  readonly doubleValue?: number;
}

interface KeyValue {
  readonly key: string;
  readonly value: AnyValue;
}

/** One span as received, with the `service.name` of its resource and its attributes as plain values. */
export interface ReceivedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  /** Empty or absent for a root span. */
  readonly parentSpanId?: string;
  readonly name: string;
  /** OTLP's numbers: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly attributes: Record<string, string | number | boolean | undefined>;
  readonly status?: { readonly code?: number; readonly message?: string };
}

/** A running receiver. */
export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>`: what `OTEL_EXPORTER_OTLP_ENDPOINT` is set to. */
  readonly endpoint: string;
  readonly requests: OtlpRequest[];
  /** Every span of every JSON trace export received so far. */
  spans(): ReceivedSpan[];
  stop(): Promise<void>;
}

function plain(value: AnyValue): string | number | boolean | undefined {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  return value.boolValue ?? value.doubleValue;
}

function attributesOf(list: readonly KeyValue[] | undefined): ReceivedSpan['attributes'] {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, plain(kv.value)]));
}

/** The spans of one OTLP/JSON `ExportTraceServiceRequest`. */
export function spansOfJsonExport(body: string): ReceivedSpan[] {
  const request = JSON.parse(body) as {
    resourceSpans?: Array<{
      resource?: { attributes?: KeyValue[] };
      scopeSpans?: Array<{
        spans?: Array<Omit<ReceivedSpan, 'service' | 'attributes'> & { attributes?: KeyValue[] }>;
      }>;
    }>;
  };
  return (request.resourceSpans ?? []).flatMap((rs) => {
    const service = String(attributesOf(rs.resource?.attributes)['service.name']);
    return (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((s) => ({ ...s, service, attributes: attributesOf(s.attributes) })),
    );
  });
}

/** Starts the receiver on a free port of 127.0.0.1. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const requests: OtlpRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const contentType = req.headers['content-type'] ?? '';
      if (req.method === 'POST')
        requests.push({ path: req.url ?? '', contentType, body: Buffer.concat(chunks) });
      // An empty export response: `{}` in JSON, zero bytes in protobuf (every field at its default).
      const json = contentType.includes('json');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    spans: () =>
      requests
        .filter((r) => r.path === '/v1/traces' && r.contentType.includes('json'))
        .flatMap((r) => spansOfJsonExport(r.body.toString('utf8'))),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
