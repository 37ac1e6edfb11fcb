/**
 * A local STS stand-in that answers presigned `GetCallerIdentity` requests by checking their SigV4 signature with the
 * test secret, because moto answers without checking any signature. It recomputes the signature with
 * `@smithy/signature-v4` from what it received (same `X-Amz-Date`, scope, signed headers and host) and, like STS,
 * accepts a presigned request for 15 minutes after `X-Amz-Date` whatever its `X-Amz-Expires` says.
 *
 * Also a route to moto's STS: moto dispatches by the `Authorization` header, which a presigned request has none of,
 * so `startMotoStsRoute` forwards to moto with one built from the query's credential.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '../../src/auth/sha256';

/** What the stand-in knows about one access key. */
export interface StandInIdentity {
  readonly secret: string;
  readonly arn: string;
  readonly account: string;
  readonly userId?: string;
}

/** A running stand-in. */
export interface StsStandIn {
  readonly endpoint: string;
  /** Requests received so far (any path, any outcome). */
  readonly requestCount: () => number;
  /** The `x-remediator-decision` header of each request, in order. */
  readonly decisionHeaders: () => readonly (string | undefined)[];
  stop(): Promise<void>;
}

/** How long STS accepts a presigned request after `X-Amz-Date`. */
const STS_PRESIGN_WINDOW_MS = 15 * 60_000;
/** Parameters the presigner writes itself; the rest is the request it signed. */
const GENERATED = [
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
];

function xml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  res
    .writeHead(status, { 'content-type': 'text/xml' })
    .end(
      `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>` +
        `<Code>${code}</Code><Message>${xml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
    );
}

function sendIdentity(res: ServerResponse, identity: StandInIdentity, accessKeyId: string): void {
  res
    .writeHead(200, { 'content-type': 'text/xml' })
    .end(
      `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
        `<Arn>${xml(identity.arn)}</Arn><UserId>${xml(identity.userId ?? accessKeyId)}</UserId>` +
        `<Account>${identity.account}</Account></GetCallerIdentityResult>` +
        `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
    );
}

function amzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`) : undefined;
}

/** The signature the request should carry, recomputed with the key's secret; undefined if it cannot be. */
async function expectedSignature(
  req: IncomingMessage,
  url: URL,
  secret: string,
  accessKeyId: string,
  scope: { region: string; service: string },
  signedAt: Date,
): Promise<string | undefined> {
  const params = url.searchParams;
  const query: Record<string, string> = {};
  for (const [name, value] of params) if (!GENERATED.includes(name)) query[name] = value;
  const headers: Record<string, string> = {};
  for (const name of (params.get('X-Amz-SignedHeaders') ?? '').split(';')) {
    const value = req.headers[name];
    if (typeof value !== 'string') return undefined;
    headers[name] = value;
  }
  const signer = new SignatureV4({
    service: scope.service,
    region: scope.region,
    credentials: { accessKeyId, secretAccessKey: secret },
    sha256: Sha256,
  });
  try {
    const presigned = await signer.presign(
      {
        method: req.method ?? 'GET',
        protocol: 'http:',
        hostname: url.hostname,
        path: url.pathname,
        query,
        headers,
      },
      { signingDate: signedAt, expiresIn: Number(params.get('X-Amz-Expires')) },
    );
    const recomputedHeaders = presigned.query?.['X-Amz-SignedHeaders'];
    if (recomputedHeaders !== params.get('X-Amz-SignedHeaders')) return undefined;
    const signature = presigned.query?.['X-Amz-Signature'];
    return typeof signature === 'string' ? signature : undefined;
  } catch {
    return undefined;
  }
}

async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  identities: Readonly<Record<string, StandInIdentity>>,
  now: () => Date,
): Promise<void> {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'invalid'}`);
  const params = url.searchParams;
  if (params.get('Action') !== 'GetCallerIdentity') {
    return sendError(res, 400, 'InvalidAction', `Could not find operation ${params.get('Action')}`);
  }
  const credential = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/.exec(
    params.get('X-Amz-Credential') ?? '',
  );
  const signedAt = amzDate(params.get('X-Amz-Date') ?? '');
  const given = params.get('X-Amz-Signature') ?? '';
  if (!credential || !signedAt || params.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' || !given) {
    return sendError(
      res,
      400,
      'IncompleteSignature',
      'The request signature does not conform to AWS standards.',
    );
  }
  const [, accessKeyId = '', , region = '', service = ''] = credential;
  const identity = identities[accessKeyId];
  if (!identity) {
    return sendError(
      res,
      403,
      'InvalidClientTokenId',
      'The security token included in the request is invalid.',
    );
  }
  const signature = await expectedSignature(
    req,
    url,
    identity.secret,
    accessKeyId,
    { region, service },
    signedAt,
  );
  const matches =
    signature !== undefined &&
    signature.length === given.length &&
    timingSafeEqual(Buffer.from(signature), Buffer.from(given));
  if (!matches) {
    return sendError(
      res,
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided.',
    );
  }
  const at = now();
  if (at.getTime() > signedAt.getTime() + STS_PRESIGN_WINDOW_MS) {
    return sendError(
      res,
      403,
      'SignatureDoesNotMatch',
      `Signature expired: ${params.get('X-Amz-Date')} is now earlier than ${at.toISOString()} - 15 min.`,
    );
  }
  sendIdentity(res, identity, accessKeyId);
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Starts the stand-in on 127.0.0.1 at a random port; `now` is its clock (default the real one). */
export async function startStsStandIn(
  identities: Readonly<Record<string, StandInIdentity>>,
  now: () => Date = () => new Date(),
): Promise<StsStandIn> {
  let count = 0;
  const decisions: (string | undefined)[] = [];
  const server = createServer((req, res) => {
    count += 1;
    const header = req.headers['x-remediator-decision'];
    decisions.push(typeof header === 'string' ? header : undefined);
    answer(req, res, identities, now).catch((err: unknown) =>
      sendError(res, 500, 'InternalFailure', (err as Error).message),
    );
  });
  const endpoint = await listen(server);
  return { endpoint, requestCount: () => count, decisionHeaders: () => decisions, stop: () => close(server) };
}

/** A route to moto's STS for presigned requests: copies the query's credential into an `Authorization` header. */
export async function startMotoStsRoute(
  motoEndpoint: string,
): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://route');
    const credential = url.searchParams.get('X-Amz-Credential') ?? '';
    fetch(`${motoEndpoint}${url.pathname}${url.search}`, {
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=host, Signature=0`,
      },
    })
      .then(async (moto) => {
        res.writeHead(moto.status, { 'content-type': moto.headers.get('content-type') ?? 'text/xml' });
        res.end(await moto.text());
      })
      .catch((err: unknown) => res.writeHead(502).end((err as Error).message));
  });
  const endpoint = await listen(server);
  return { endpoint, stop: () => close(server) };
}
