/**
 * An HTTP/2 proxy in front of a gRPC server (the Temporal dev server, plaintext) that answers chosen methods with a
 * gRPC error instead of forwarding them: a throttling Temporal (`RESOURCE_EXHAUSTED`, code 8) as a namespace over its
 * rate limit answers. A TCP-level fault can only cut or stall a connection; a gRPC status needs a real gRPC answer:
 * HTTP status 200, `content-type: application/grpc`, and `grpc-status` / `grpc-message` trailers. Everything else is
 * forwarded stream by stream over one upstream HTTP/2 session.
 */
import { connect, constants, createServer } from 'node:http2';
import type {
  ClientHttp2Session,
  Http2Server,
  IncomingHttpHeaders,
  OutgoingHttpHeaders,
  ServerHttp2Stream,
} from 'node:http2';

/** gRPC status codes the tests inject. */
export const GRPC_RESOURCE_EXHAUSTED = 8;

/** Temporal's WorkflowService method path, e.g. `SignalWithStartWorkflowExecution`. */
export const workflowServicePath = (method: string): string =>
  `/temporal.api.workflowservice.v1.WorkflowService/${method}`;

/** Which calls fail, and how. */
export interface GrpcFault {
  /** Request paths (`:path`) that fail. */
  readonly paths: readonly string[];
  readonly code: number;
  readonly message: string;
  /** Fails matching calls until this time (epoch ms); calls after it are forwarded. */
  readonly untilMs: number;
}

/** The proxy. */
export interface GrpcFaultProxy {
  /** `127.0.0.1:<port>`, for a Temporal `Connection`. */
  readonly address: string;
  /** Calls answered with the fault, by path. */
  readonly faulted: Map<string, number>;
  /** Calls forwarded, by path. */
  readonly forwarded: Map<string, number>;
  /** Sets (or, with undefined, clears) the fault. */
  setFault(fault: GrpcFault | undefined): void;
  close(): Promise<void>;
}

/** Request headers HTTP/2 forbids forwarding or that the upstream session sets itself. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'http2-settings']);

function forwardable(headers: IncomingHttpHeaders, keepPseudo: readonly string[]): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    if (name.startsWith(':') && !keepPseudo.includes(name)) continue;
    out[name] = value;
  }
  return out;
}

const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

/** Starts a proxy on `127.0.0.1:<port>` (0: any free port) forwarding to `target` ("host:port"). */
export async function createGrpcFaultProxy(target: string, port = 0): Promise<GrpcFaultProxy> {
  let fault: GrpcFault | undefined;
  const faulted = new Map<string, number>();
  const forwarded = new Map<string, number>();
  const upstreams = new Set<ClientHttp2Session>();
  const streams = new Set<ServerHttp2Stream>();

  const server: Http2Server = createServer();
  server.on('session', (session) => {
    // One upstream session per client session: closing the client's connection closes its upstream too.
    const upstream = connect(`http://${target}`);
    upstreams.add(upstream);
    upstream.on('error', () => session.destroy());
    upstream.on('close', () => upstreams.delete(upstream));
    session.on('close', () => upstream.close());
    session.on('error', () => upstream.destroy());
    session.on('stream', (stream, headers) => {
      streams.add(stream);
      stream.on('close', () => streams.delete(stream));
      stream.on('error', () => undefined);
      const path = String(headers[':path'] ?? '');
      const active = fault && fault.paths.includes(path) && Date.now() < fault.untilMs ? fault : undefined;
      if (active) {
        count(faulted, path);
        answerWithStatus(stream, active.code, active.message);
        return;
      }
      count(forwarded, path);
      forward(stream, headers, upstream);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const listening = typeof address === 'object' && address ? address.port : port;
  return {
    address: `127.0.0.1:${listening}`,
    faulted,
    forwarded,
    setFault: (next) => {
      fault = next;
    },
    close: () =>
      new Promise((resolve) => {
        for (const stream of streams) stream.close(constants.NGHTTP2_CANCEL);
        for (const upstream of upstreams) upstream.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A gRPC error answer: headers, no message, then the status trailers (after the request was read). */
function answerWithStatus(stream: ServerHttp2Stream, code: number, message: string): void {
  stream.resume();
  stream.once('end', () => {
    if (stream.destroyed) return;
    stream.respond(
      { [constants.HTTP2_HEADER_STATUS]: 200, 'content-type': 'application/grpc' },
      { waitForTrailers: true },
    );
    stream.once('wantTrailers', () =>
      stream.sendTrailers({ 'grpc-status': String(code), 'grpc-message': encodeURIComponent(message) }),
    );
    stream.end();
  });
}

/** Forwards one call: request headers and body up, response headers, body and trailers down. */
function forward(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  upstream: ClientHttp2Session,
): void {
  const call = upstream.request(forwardable(headers, [':method', ':path', ':authority', ':scheme']));
  call.on('error', () => stream.destroy());
  stream.on('close', () => {
    if (!call.closed) call.close(constants.NGHTTP2_CANCEL);
  });
  stream.pipe(call);
  let trailers: OutgoingHttpHeaders = {};
  call.on('trailers', (received: IncomingHttpHeaders) => {
    trailers = forwardable(received, []);
  });
  call.on('response', (response) => {
    if (stream.destroyed) return;
    const out = forwardable(response, [':status']);
    if (response['grpc-status'] !== undefined) {
      // Trailers-only answer (an error with no message): the status rides in the headers and the stream ends there.
      stream.respond(out, { endStream: true });
      return;
    }
    stream.respond(out, { waitForTrailers: true });
    stream.once('wantTrailers', () => stream.sendTrailers(trailers));
    call.pipe(stream);
  });
}
