/**
 * An HTTP proxy on 127.0.0.1 between our AWS clients (pointed at it as their endpoint) and moto: it names every request
 * (service + action + target resource), counts them, and injects faults by rule.
 *
 * Naming: the service comes from the SigV4 credential scope of the `Authorization` header (as moto does it); the action
 * from `X-Amz-Target` (JSON protocols: SQS, CloudWatch, Config, EventBridge), from `Action=` in the form body or query
 * string (query protocols: EC2, IAM, SNS, STS, Auto Scaling, ELBv2), or, for S3 (REST-XML, path-style), from the
 * method, path and sub-resource (`PUT /bucket?publicAccessBlock` ⇒ `PutPublicAccessBlock`, or the SDK's own `x-id`
 * query parameter where it sends one). Anything else (REST-JSON: Lambda) is named `<METHOD> <path>`. A call is
 * "mutating" unless its action reads (`Get…`, `Describe…`, `List…`, `Head…`, `Receive…`), or, for a `<METHOD> <path>`
 * call, unless its method is GET or HEAD. The target is the bucket (`bucket/key` for objects)
 * or the first of a few well-known parameters (`GroupId`, `InstanceId`, `QueueUrl`, `TopicArn`, …).
 *
 * Faults, in the shape each protocol's SDK deserialiser expects (XML for query/EC2/S3, JSON for the JSON protocols):
 * - `throttle`: S3 `SlowDown` (503, as S3 sends it), EC2 `RequestLimitExceeded` (503), query `Throttling` (400), JSON
 *   `ThrottlingException` (400);
 * - `error`: 500 `InternalError`;
 * - `deny`: S3/query `AccessDenied` (403), EC2 `UnauthorizedOperation` (403), JSON `AccessDeniedException` (400);
 * - `timeout`: the request is held without an answer until the client gives up (closes the socket) or the proxy closes;
 *   it never reaches moto;
 * - `reply` (not a fault): the proxy answers in AWS's place, a stand-in for an API moto lacks (default: 200, `{}` for
 *   JSON protocols).
 * Every code and status can be overridden. A rule may also run a `before` hook just before the request is forwarded
 * (or faulted), e.g. to delete the resource in moto mid-remediation; what the hooks return is merged into the call's
 * `note`. Every matching rule counts the request and runs its hook; the first one with a fault decides the answer.
 *
 * SDK retries are visible: the SDK sends `amz-sdk-invocation-id` (one per `send`) and `amz-sdk-request: attempt=N`, so
 * `attemptsOf` groups a call's requests into invocations (one per activity attempt when the activity sends it once).
 */
import { randomUUID } from 'node:crypto';
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { endToEndHeaders } from '../../src/devstack/hop-by-hop';

/** A fault to inject. */
export type AwsFault =
  | { readonly kind: 'throttle'; readonly code?: string; readonly status?: number }
  | { readonly kind: 'error'; readonly code?: string; readonly status?: number }
  | { readonly kind: 'deny'; readonly code?: string; readonly status?: number }
  | { readonly kind: 'timeout' }
  /** Not a fault: answer in AWS's place (a stand-in for an API moto lacks). */
  | { readonly kind: 'reply'; readonly status?: number; readonly body?: string };

/** One request as the proxy saw it. */
export interface AwsCall {
  /** Order of arrival, from 1. */
  readonly seq: number;
  readonly service: string;
  readonly action: string;
  /** The resource the call is about (bucket, group id, queue URL, …) when the proxy can tell. */
  readonly target?: string;
  readonly mutating: boolean;
  /** `amz-sdk-invocation-id`: one per SDK `send`, shared by its retries. */
  readonly invocationId?: string;
  /** `amz-sdk-request: attempt=N`: the SDK's attempt number within the invocation. */
  readonly sdkAttempt?: number;
  /** `Date.now()` when the request (with its body) had arrived. */
  readonly receivedAt: number;
  /** `Date.now()` when it was answered, faulted or given up; unset while held or in flight. */
  finishedAt?: number;
  /** `forwarded` reached moto; `fault` was answered by the proxy; `held` is a timeout still waiting (then `abandoned`). */
  outcome: 'in-flight' | 'forwarded' | 'fault' | 'held' | 'abandoned' | 'aborted';
  /** HTTP status returned to the client. */
  status?: number;
  /** The injected error code, for faults. */
  fault?: string;
  /** What the rule's `before` hook returned. */
  note?: unknown;
}

/** Which requests a rule applies to. */
export interface FaultRule {
  readonly service?: string;
  readonly action?: string;
  /** Only calls that change something (`true`) or only reads (`false`). */
  readonly mutating?: boolean;
  /** Exact target, or a predicate on it. */
  readonly target?: string | ((target: string | undefined) => boolean);
  /** Let the first `skip` matching requests through untouched (default 0). */
  readonly skip?: number;
  /** Apply to this many matching requests after the skipped ones (default: all). */
  readonly times?: number;
  readonly fault?: AwsFault;
  /** Runs before the request is forwarded (or faulted); its value becomes the call's `note`. */
  readonly before?: (call: AwsCall) => unknown;
}

/** A rule once added: how many requests it matched and how many it acted on. */
export interface ActiveRule {
  readonly rule: FaultRule;
  readonly matched: number;
  readonly applied: number;
  remove(): void;
}

/** The running proxy. */
export interface AwsFaultProxy {
  /** `http://127.0.0.1:<port>`: the endpoint to give the AWS clients. */
  readonly endpoint: string;
  /** Every request so far, in order of arrival. */
  readonly calls: readonly AwsCall[];
  addRule(rule: FaultRule): ActiveRule;
  clearRules(): void;
  /** Calls matching the filter (all fields optional). */
  find(filter: CallFilter): AwsCall[];
  /** Number of requests per `service:action`. */
  counts(filter?: CallFilter): Record<string, number>;
  /** Mutating calls that reached moto, optionally filtered. */
  mutatingCalls(filter?: CallFilter): AwsCall[];
  /** The requests of each SDK invocation matching the filter, in order: one inner array per `send`. */
  attemptsOf(filter: CallFilter): AwsCall[][];
  /** Forgets the recorded calls (rules stay). */
  resetCalls(): void;
  close(): Promise<void>;
}

/** Selects calls. */
export interface CallFilter {
  readonly service?: string;
  readonly action?: string;
  readonly target?: string;
  readonly outcome?: AwsCall['outcome'];
}

const READ_ONLY = /^(Get|Describe|List|Head|Lookup|Search|Select|Receive|Query|Scan|BatchGet)/;

/** An unnamed REST call (`DELETE /2015-03-31/functions/f/policy/sid`): named `<METHOD> <path>`. */
const unnamedRest = (method: string, action: string) => action.startsWith(`${method} `);

/** Whether a call changes something: by its action's verb, or, for an unnamed REST call, by its HTTP method. */
function isMutating(method: string, action: string): boolean {
  if (unnamedRest(method, action)) return method !== 'GET' && method !== 'HEAD';
  return !READ_ONLY.test(action);
}

/** Request parameters that name the resource a call is about, in order of preference. */
const TARGET_PARAMS = [
  'GroupId',
  'InstanceId',
  'InstanceId.1',
  'InstanceIds.member.1',
  'ResourceId.1',
  'VolumeId',
  'NetworkInterfaceId',
  'AutoScalingGroupName',
  'TargetGroupArn',
  'AccessKeyId',
  'UserName',
  'RoleName',
  'TopicArn',
  'QueueUrl',
  'AlarmName',
  'AlarmNames',
  'ConfigRuleNames',
  'EventBusName',
  'Name',
];
/** S3 sub-resources (query keys) and the operation noun each one names. */
const S3_SUBRESOURCES: Readonly<Record<string, string>> = {
  publicAccessBlock: 'PublicAccessBlock',
  policyStatus: 'BucketPolicyStatus',
  policy: 'BucketPolicy',
  acl: 'Acl',
  tagging: 'Tagging',
  versioning: 'BucketVersioning',
  encryption: 'BucketEncryption',
  ownershipControls: 'BucketOwnershipControls',
  location: 'BucketLocation',
  lifecycle: 'BucketLifecycleConfiguration',
  cors: 'BucketCors',
  website: 'BucketWebsite',
  logging: 'BucketLogging',
  notification: 'BucketNotificationConfiguration',
  'object-lock': 'ObjectLockConfiguration',
};
const VERB: Readonly<Record<string, string>> = { GET: 'Get', PUT: 'Put', DELETE: 'Delete', HEAD: 'Head' };

interface Named {
  service: string;
  action: string;
  target?: string;
}

/** Names a request from its headers, URL and body. */
export function nameRequest(method: string, url: string, headers: IncomingHttpHeaders, body: string): Named {
  const parsed = new URL(url, 'http://proxy.invalid');
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(String(headers.authorization ?? ''));
  const amzTarget = headers['x-amz-target'];
  let service = scope?.[1] ?? 'unknown';
  if (typeof amzTarget === 'string' && amzTarget.includes('.')) {
    const action = amzTarget.slice(amzTarget.lastIndexOf('.') + 1);
    return { service, action, ...pick(targetFromJson(body)) };
  }
  const form = String(headers['content-type'] ?? '').includes('x-www-form-urlencoded')
    ? new URLSearchParams(body)
    : undefined;
  const queryAction = form?.get('Action') ?? parsed.searchParams.get('Action');
  if (queryAction)
    return { service, action: queryAction, ...pick(targetFromParams(form ?? parsed.searchParams)) };
  if (service === 's3' || service === 'unknown') {
    service = 's3';
    return { service, ...s3Name(method, parsed) };
  }
  return { service, action: `${method} ${parsed.pathname}` };
}

function pick(target: string | undefined): { target?: string } {
  return target ? { target } : {};
}

function targetFromParams(params: URLSearchParams): string | undefined {
  for (const key of TARGET_PARAMS) {
    const value = params.get(key) ?? params.get(`${key}.member.1`) ?? params.get(`${key}.1`);
    if (value) return value;
  }
  return undefined;
}

function targetFromJson(body: string): string | undefined {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  for (const key of TARGET_PARAMS) {
    const value = json[key];
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  }
  return undefined;
}

function s3Name(method: string, url: URL): { action: string; target?: string } {
  const [bucket, ...keyParts] = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const key = keyParts.join('/');
  const target = bucket ? (key ? `${bucket}/${key}` : bucket) : undefined;
  const xId = url.searchParams.get('x-id');
  if (xId) return { action: xId, ...pick(target) };
  const sub = [...url.searchParams.keys()].find((k) => k in S3_SUBRESOURCES);
  const verb = VERB[method] ?? method;
  if (sub) {
    const noun = S3_SUBRESOURCES[sub] ?? sub;
    const full = noun === 'Acl' || noun === 'Tagging' ? `${key ? 'Object' : 'Bucket'}${noun}` : noun;
    return { action: `${verb}${full}`, ...pick(target) };
  }
  if (method === 'POST' && url.searchParams.has('delete'))
    return { action: 'DeleteObjects', ...pick(target) };
  if (!bucket) return { action: method === 'GET' ? 'ListBuckets' : `${method} /` };
  if (!key) {
    const bucketOps: Record<string, string> = {
      PUT: 'CreateBucket',
      DELETE: 'DeleteBucket',
      HEAD: 'HeadBucket',
      GET: url.searchParams.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects',
    };
    return { action: bucketOps[method] ?? `${method} /${bucket}`, ...pick(target) };
  }
  const objectOps: Record<string, string> = {
    PUT: 'PutObject',
    GET: 'GetObject',
    HEAD: 'HeadObject',
    DELETE: 'DeleteObject',
  };
  return { action: objectOps[method] ?? `${method} object`, ...pick(target) };
}

type Protocol = 's3' | 'ec2' | 'query' | 'json';

function protocolOf(service: string, headers: IncomingHttpHeaders, method: string, action: string): Protocol {
  if (service === 's3') return 's3';
  if (service === 'ec2') return 'ec2';
  // The REST services other than S3 that the playbooks call (Lambda) answer in JSON, bodiless requests included.
  if (unnamedRest(method, action)) return 'json';
  const type = String(headers['content-type'] ?? '');
  return type.includes('json') || headers['x-amz-target'] ? 'json' : 'query';
}

const DEFAULT_CODES: Readonly<Record<AwsFault['kind'], Readonly<Record<Protocol, [string, number]>>>> = {
  throttle: {
    s3: ['SlowDown', 503],
    ec2: ['RequestLimitExceeded', 503],
    query: ['Throttling', 400],
    json: ['ThrottlingException', 400],
  },
  error: {
    s3: ['InternalError', 500],
    ec2: ['InternalError', 500],
    query: ['InternalError', 500],
    json: ['InternalError', 500],
  },
  deny: {
    s3: ['AccessDenied', 403],
    ec2: ['UnauthorizedOperation', 403],
    query: ['AccessDenied', 403],
    json: ['AccessDeniedException', 400],
  },
  timeout: { s3: ['', 0], ec2: ['', 0], query: ['', 0], json: ['', 0] },
  reply: { s3: ['', 200], ec2: ['', 200], query: ['', 200], json: ['', 200] },
};

/** Writes an AWS error response the way the protocol's real service does. */
function sendError(
  res: ServerResponse,
  protocol: Protocol,
  contentType: string,
  code: string,
  status: number,
): void {
  const requestId = randomUUID();
  const message = `Injected by the fault proxy: ${code}`;
  const type = status >= 500 ? 'Receiver' : 'Sender';
  let body: string;
  const headers: Record<string, string> = { 'x-amzn-requestid': requestId };
  switch (protocol) {
    case 's3':
      body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${requestId}</RequestId></Error>`;
      headers['content-type'] = 'application/xml';
      break;
    case 'ec2':
      body = `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
      headers['content-type'] = 'text/xml;charset=UTF-8';
      break;
    case 'query':
      body = `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
      headers['content-type'] = 'text/xml';
      break;
    case 'json':
      body = JSON.stringify({ __type: code, message });
      headers['content-type'] = contentType.includes('x-amz-json') ? contentType : 'application/json';
      headers['x-amzn-errortype'] = code;
      // Query-compatible JSON services (SQS) read the code from here.
      headers['x-amzn-query-error'] = `${code};${type}`;
      break;
  }
  res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

function matches(rule: FaultRule, call: AwsCall): boolean {
  if (rule.service !== undefined && rule.service !== call.service) return false;
  if (rule.action !== undefined && rule.action !== call.action) return false;
  if (rule.mutating !== undefined && rule.mutating !== call.mutating) return false;
  if (typeof rule.target === 'string' && rule.target !== call.target) return false;
  if (typeof rule.target === 'function' && !rule.target(call.target)) return false;
  return true;
}

function selected(call: AwsCall, filter: CallFilter): boolean {
  return (
    (filter.service === undefined || filter.service === call.service) &&
    (filter.action === undefined || filter.action === call.action) &&
    (filter.target === undefined || filter.target === call.target) &&
    (filter.outcome === undefined || filter.outcome === call.outcome)
  );
}

/** Starts the proxy in front of `upstream` (moto's endpoint, `http://127.0.0.1:<port>`). */
export async function startAwsFaultProxy(upstream: string): Promise<AwsFaultProxy> {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const calls: AwsCall[] = [];
  const rules: { rule: FaultRule; matched: number; applied: number; removed: boolean }[] = [];
  const held = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  let seq = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    let complete = false;
    req.on('data', (c: Buffer) => chunks.push(c));
    await new Promise<void>((resolve) => {
      req.once('end', () => {
        complete = true;
        resolve();
      });
      req.once('close', () => resolve());
      req.once('error', () => resolve());
    });
    const body = Buffer.concat(chunks);
    const method = req.method ?? 'GET';
    const named = nameRequest(method, req.url ?? '/', req.headers, body.toString('utf8'));
    const attempt = /attempt=(\d+)/.exec(String(req.headers['amz-sdk-request'] ?? ''));
    const invocation = req.headers['amz-sdk-invocation-id'];
    const call: AwsCall = {
      seq: (seq += 1),
      ...named,
      mutating: isMutating(method, named.action),
      ...(typeof invocation === 'string' ? { invocationId: invocation } : {}),
      ...(attempt?.[1] ? { sdkAttempt: Number(attempt[1]) } : {}),
      receivedAt: Date.now(),
      outcome: 'in-flight',
    };
    calls.push(call);
    if (!complete) {
      // The client went away before its request was complete: nothing reaches AWS.
      call.outcome = 'aborted';
      call.finishedAt = Date.now();
      return;
    }
    let fault: AwsFault | undefined;
    for (const active of [...rules]) {
      if (active.removed || !matches(active.rule, call)) continue;
      active.matched += 1;
      const { skip = 0, times } = active.rule;
      if (active.matched <= skip || (times !== undefined && active.applied >= times)) continue;
      active.applied += 1;
      if (active.rule.before) {
        const note: unknown = await active.rule.before(call);
        if (note !== undefined) call.note = { ...(call.note as object), ...(note as object) };
      }
      fault ??= active.rule.fault;
    }
    const protocol = protocolOf(call.service, req.headers, method, call.action);
    if (fault?.kind === 'timeout') {
      call.outcome = 'held';
      held.add(res);
      res.once('close', () => {
        held.delete(res);
        call.outcome = 'abandoned';
        call.finishedAt = Date.now();
      });
      return;
    }
    if (fault?.kind === 'reply') {
      const body = fault.body ?? (protocol === 'json' ? '{}' : '');
      const contentType =
        protocol === 'json' ? String(req.headers['content-type'] ?? 'application/json') : 'text/xml';
      call.status = fault.status ?? 200;
      call.outcome = 'fault';
      call.fault = 'reply';
      res.writeHead(call.status, {
        'content-type': contentType,
        'content-length': String(Buffer.byteLength(body)),
      });
      res.end(body);
      call.finishedAt = Date.now();
      return;
    }
    if (fault) {
      const [code, status] = DEFAULT_CODES[fault.kind][protocol];
      call.fault = fault.code ?? code;
      call.status = fault.status ?? status;
      call.outcome = 'fault';
      sendError(res, protocol, String(req.headers['content-type'] ?? ''), call.fault, call.status);
      call.finishedAt = Date.now();
      return;
    }
    await new Promise<void>((resolve) => {
      const headers = endToEndHeaders(req.headers);
      const forward = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method,
          path: req.url,
          headers: { ...headers, 'content-length': String(body.length) },
          agent,
        },
        (upstreamRes) => {
          call.status = upstreamRes.statusCode ?? 502;
          const back = endToEndHeaders(upstreamRes.headers);
          const parts: Buffer[] = [];
          upstreamRes.on('data', (c: Buffer) => parts.push(c));
          upstreamRes.on('end', () => {
            const payload = Buffer.concat(parts);
            if (!res.destroyed) {
              res.writeHead(call.status ?? 502, { ...back, 'content-length': String(payload.length) });
              res.end(payload);
            }
            call.finishedAt = Date.now();
            resolve();
          });
          upstreamRes.on('error', () => resolve());
        },
      );
      call.outcome = 'forwarded';
      forward.on('error', (err) => {
        call.status = 502;
        call.finishedAt = Date.now();
        if (!res.destroyed) {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`fault proxy: upstream failed: ${err.message}`);
        }
        resolve();
      });
      forward.end(body);
    });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`fault proxy: ${String(err)}`);
      }
    });
  });
  // Idle keep-alive sockets stay open longer than the SDK keeps them, so a request never races a closing socket.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const find = (filter: CallFilter): AwsCall[] => calls.filter((c) => selected(c, filter));
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    addRule(rule) {
      const active = { rule, matched: 0, applied: 0, removed: false };
      rules.push(active);
      return {
        rule,
        get matched() {
          return active.matched;
        },
        get applied() {
          return active.applied;
        },
        remove() {
          active.removed = true;
        },
      };
    },
    clearRules() {
      for (const r of rules) r.removed = true;
      rules.length = 0;
    },
    find,
    counts(filter = {}) {
      const out: Record<string, number> = {};
      for (const c of find(filter))
        out[`${c.service}:${c.action}`] = (out[`${c.service}:${c.action}`] ?? 0) + 1;
      return out;
    },
    mutatingCalls(filter = {}) {
      return find(filter).filter((c) => c.mutating && c.outcome === 'forwarded');
    },
    attemptsOf(filter) {
      const groups = new Map<string, AwsCall[]>();
      for (const c of find(filter)) {
        const key = c.invocationId ?? `seq-${c.seq}`;
        groups.set(key, [...(groups.get(key) ?? []), c]);
      }
      return [...groups.values()];
    },
    resetCalls() {
      calls.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        for (const s of sockets) s.destroy();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}
