/**
 * `remediator codec-server`: Temporal's remote codec protocol over HTTP, so the Web UI (from the operator's browser)
 * and the Temporal CLI (`--codec-endpoint`) show decrypted payloads. `POST …/encode` and `POST …/decode` take and
 * return `{"payloads": [{"metadata": {"<key>": "<base64>"}, "data": "<base64>"}]}` (protobuf JSON); only the last path
 * segment counts, so the server can sit under any prefix. CORS answers the configured UI origins, the `X-Namespace`
 * header must name a served namespace, and with `CODEC_SERVER_TOKEN` every request needs `Authorization: Bearer <token>`.
 * Binds loopback unless told otherwise: one call decrypts anything.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { loadCodecServerConfig } from '../config';
import type { Logger } from '../logger';
import { payloadCodec, PayloadDecryptionError, UnknownPayloadKeyError } from '../temporal/codec';
import { temporalTarget } from '../temporal/connection';

/** How the codec server listens and whom it answers. */
export interface CodecServerOptions {
  readonly host: string;
  readonly port: number;
  /** Origins of the Web UI allowed by CORS (exact match, e.g. `http://localhost:8233`). */
  readonly uiOrigins: readonly string[];
  /** Namespaces a request's `X-Namespace` may name. */
  readonly namespaces: readonly string[];
  /** Required bearer token, if any. */
  readonly token?: string;
}

/** A listening codec server. */
export interface RunningCodecServer {
  /** `http://<host>:<port>`, the endpoint to configure in the UI. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Largest request body accepted (Temporal caps a payload at 2 MB; a decode request carries several). */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const ALLOWED_HEADERS = 'X-Namespace, Content-Type, Authorization';

/** A request the server refuses, with its status. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

function fromJson(value: unknown, index: number): Payload {
  const p = value as JsonPayload | null;
  if (typeof p !== 'object' || p === null || Array.isArray(p)) {
    throw new HttpError(400, `payloads[${index}] is not an object`);
  }
  const metadata: Record<string, Uint8Array> = {};
  for (const [key, v] of Object.entries(p.metadata ?? {})) {
    if (typeof v !== 'string') throw new HttpError(400, `payloads[${index}].metadata.${key} is not base64`);
    metadata[key] = Buffer.from(v, 'base64');
  }
  if (p.data !== undefined && typeof p.data !== 'string') {
    throw new HttpError(400, `payloads[${index}].data is not base64`);
  }
  return { metadata, data: Buffer.from(p.data ?? '', 'base64') };
}

function toJson(payload: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Constant-time check of `Authorization: Bearer <token>`. */
function authorised(req: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const header = req.headers.authorization ?? '';
  const presented = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() ?? '';
  return timingSafeEqual(digest(presented), digest(token));
}

/** Starts the HTTP server; resolves once it listens. */
export async function startCodecServer(
  codec: PayloadCodec,
  options: CodecServerOptions,
  logger: Logger,
): Promise<RunningCodecServer> {
  const origins = new Set(options.uiOrigins);
  const namespaces = new Set(options.namespaces);

  const cors = (req: IncomingMessage, res: ServerResponse): boolean => {
    const origin = req.headers.origin;
    if (origin === undefined) return true; // not a browser (Temporal CLI, curl)
    if (!origins.has(origin)) return false;
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Vary', 'Origin');
    return true;
  };

  const send = (res: ServerResponse, status: number, body?: unknown): void => {
    if (body === undefined) {
      res.writeHead(status).end();
      return;
    }
    const text = JSON.stringify(body);
    res
      .writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) })
      .end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://codec').pathname;
    const operation = path.split('/').filter(Boolean).pop();
    const allowedOrigin = cors(req, res);
    if (req.method === 'OPTIONS') {
      if (!allowedOrigin) throw new HttpError(403, `origin ${req.headers.origin ?? ''} is not allowed`);
      res.setHeader('Access-Control-Allow-Methods', 'POST, GET, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
      send(res, 204);
      return;
    }
    if (!allowedOrigin) throw new HttpError(403, `origin ${req.headers.origin ?? ''} is not allowed`);
    if (req.method === 'GET' && operation === 'health') {
      send(res, 200, { status: 'ok' });
      return;
    }
    if (operation !== 'encode' && operation !== 'decode')
      throw new HttpError(404, 'use POST /encode or /decode');
    if (req.method !== 'POST') throw new HttpError(405, `${operation} takes POST`);
    if (!authorised(req, options.token)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="remediator-codec"');
      throw new HttpError(401, 'missing or wrong bearer token');
    }
    const namespace = req.headers['x-namespace'];
    if (typeof namespace === 'string' && namespace !== '' && !namespaces.has(namespace)) {
      throw new HttpError(403, `namespace '${namespace}' is not served here`);
    }
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw new HttpError(400, 'the body is not JSON');
    }
    const list = (body as { payloads?: unknown } | null)?.payloads;
    if (!Array.isArray(list)) throw new HttpError(400, 'the body must be {"payloads": [...]}');
    const payloads = list.map(fromJson);
    let result: Payload[];
    try {
      result = operation === 'encode' ? await codec.encode(payloads) : await codec.decode(payloads);
    } catch (err) {
      if (err instanceof UnknownPayloadKeyError || err instanceof PayloadDecryptionError) {
        throw new HttpError(422, err.message);
      }
      throw err;
    }
    send(res, 200, { payloads: result.map(toJson) });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof HttpError ? err.message : 'internal error';
      if (status >= 500) logger.error('Codec request failed', { error: (err as Error).name });
      else logger.warn('Codec request refused', { status, method: req.method, reason: message });
      if (!res.headersSent) send(res, status, { error: message });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    host: address.address,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** `remediator codec-server`: runs until SIGINT/SIGTERM. */
export async function runCodecServer(
  options: { host: string; port: number; uiOrigins: string[]; namespaces?: string[] },
  logger: Logger,
  print: (line: string) => void,
): Promise<void> {
  const config = loadCodecServerConfig();
  const codec = payloadCodec(config.encryption);
  const namespaces = options.namespaces?.length ? options.namespaces : [temporalTarget().namespace];
  const server = await startCodecServer(
    codec,
    { ...options, namespaces, ...(config.token ? { token: config.token } : {}) },
    logger,
  );
  logger.info('Codec server started', {
    url: server.url,
    uiOrigins: options.uiOrigins,
    namespaces,
    auth: config.token ? 'bearer token (CODEC_SERVER_TOKEN)' : 'none',
  });
  print(`Codec server on ${server.url} for namespace(s) ${namespaces.join(', ')}`);
  print(
    `  Web UI: Configure Codec Server → ${server.url} (origins allowed: ${options.uiOrigins.join(', ')})`,
  );
  print(`  Temporal CLI: temporal workflow show --codec-endpoint ${server.url} -w '<workflowId>'`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
}
