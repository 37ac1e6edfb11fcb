/**
 * A small HTTP proxy between the worker and moto that counts AWS operations (by service and name), every
 * PutPublicAccessBlock per bucket, and SNS publishes per topic; and answers `StartConfigRulesEvaluation`, which moto
 * lacks, with the empty success AWS returns (a stand-in, so the write-back is one call as against AWS instead of three
 * failed attempts). Everything else is passed through unchanged.
 */
import { Agent, createServer, request } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { endToEndHeaders } from '../../src/devstack/hop-by-hop';

/** A running proxy and what it counted. */
export interface AwsProxy {
  readonly endpoint: string;
  /** Completed calls (any status) by `service:Operation`. */
  readonly operations: Map<string, number>;
  /** Successful PutPublicAccessBlock calls by bucket. */
  readonly publicAccessBlockPuts: Map<string, number>;
  /** Successful SNS publishes by topic ARN. */
  readonly publishes: Map<string, number>;
  /** Calls answered by the stand-in instead of moto. */
  standIns: number;
  /** Forgets every count. */
  reset(): void;
  stop(): Promise<void>;
}

const add = (map: Map<string, number>, key: string): void => {
  map.set(key, (map.get(key) ?? 0) + 1);
};

/** The service of a SigV4-signed request, from its credential scope. */
function serviceOf(req: IncomingMessage): string {
  const auth = req.headers.authorization ?? '';
  return /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth)?.[1] ?? 'unknown';
}

/** S3 REST operation names for the calls the product makes (path-style URLs). */
export function s3Operation(method: string, url: string): { op: string; bucket: string } {
  const parsed = new URL(url, 'http://x');
  const [bucket = '', ...key] = parsed.pathname.replace(/^\//, '').split('/');
  const q = parsed.searchParams;
  const sub = ['publicAccessBlock', 'tagging', 'acl', 'policy'].find((k) => q.has(k));
  const names: Record<string, string> = {
    publicAccessBlock: 'PublicAccessBlock',
    tagging: 'BucketTagging',
    acl: 'BucketAcl',
    policy: 'BucketPolicy',
  };
  const verb: Record<string, string> = { GET: 'Get', PUT: 'Put', DELETE: 'Delete', HEAD: 'Head' };
  if (sub) return { op: `${verb[method] ?? method}${names[sub] ?? sub}`, bucket };
  if (key.length > 0 && key.join('/') !== '') return { op: `${verb[method] ?? method}Object`, bucket };
  if (method === 'HEAD') return { op: 'HeadBucket', bucket };
  if (method === 'PUT') return { op: 'CreateBucket', bucket };
  return { op: `${method}Bucket`, bucket };
}

/** Starts the proxy on 127.0.0.1 (a free port) in front of `upstream` (moto's `http://127.0.0.1:port`). */
export async function startAwsProxy(upstream: string): Promise<AwsProxy> {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const proxy: AwsProxy = {
    endpoint: '',
    operations: new Map(),
    publicAccessBlockPuts: new Map(),
    publishes: new Map(),
    standIns: 0,
    reset() {
      this.operations.clear();
      this.publicAccessBlockPuts.clear();
      this.publishes.clear();
      this.standIns = 0;
    },
    stop: async () => undefined,
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer): void => {
    const service = serviceOf(req);
    const amzTarget = req.headers['x-amz-target'];
    let op: string;
    let bucket = '';
    let form: URLSearchParams | undefined;
    if (typeof amzTarget === 'string') {
      op = amzTarget.split('.').pop() ?? amzTarget;
    } else if (service === 's3') {
      ({ op, bucket } = s3Operation(req.method ?? 'GET', req.url ?? '/'));
    } else {
      form = new URLSearchParams(body.toString('utf8'));
      op = form.get('Action') ?? `${req.method ?? ''} ${service}`;
    }
    const key = `${service}:${op}`;
    if (service === 'config' && op === 'StartConfigRulesEvaluation') {
      proxy.standIns += 1;
      add(proxy.operations, key);
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'bench' });
      res.end('{}');
      return;
    }
    const upstreamReq = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...endToEndHeaders(req.headers), host: target.host },
        agent,
      },
      (upstreamRes) => {
        const ok = (upstreamRes.statusCode ?? 500) < 300;
        add(proxy.operations, key);
        if (ok && op === 'PutPublicAccessBlock') add(proxy.publicAccessBlockPuts, bucket);
        if (ok && op === 'Publish') add(proxy.publishes, form?.get('TopicArn') ?? 'unknown');
        res.writeHead(upstreamRes.statusCode ?? 502, endToEndHeaders(upstreamRes.headers));
        upstreamRes.pipe(res);
      },
    );
    upstreamReq.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`bench proxy: ${err.message}`);
    });
    upstreamReq.end(body);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return Object.assign(proxy, {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
