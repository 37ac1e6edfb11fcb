/**
 * The AWS client cache: idle clients of finding accounts are closed and rebuilt on the next lookup, the worker's own
 * clients stay, and a client with a call in flight is never closed under that call.
 */
import { createServer } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { AwsClients } from '../../src/aws/clients';
import type { MotoServer } from '../../src/devstack/moto-server';
import { FIXTURE_ACCOUNT, FIXTURE_REGION, motoClients, TEST_CREDENTIALS } from '../helpers/aws';
import { startSuiteMoto } from '../helpers/servers';

let moto: MotoServer;

beforeAll(async () => {
  moto = await startSuiteMoto();
});
afterAll(async () => {
  await moto?.stop();
});

it('closes clients idle for the given time, keeps recent and own ones, and builds a fresh one on the next lookup', async () => {
  const clients = motoClients(moto.endpoint);
  try {
    const s3 = clients.s3(FIXTURE_ACCOUNT, FIXTURE_REGION);
    await s3.send(new ListBucketsCommand({}));
    clients.ec2(FIXTURE_ACCOUNT, FIXTURE_REGION);
    clients.sns(FIXTURE_REGION); // the worker's own (account `self`)
    expect(clients.size).toBe(3);

    expect(clients.evictIdle(60_000)).toBe(0);
    expect(clients.evictIdle(60_000, Date.now() + 60_000)).toBe(2);

    expect(clients.size).toBe(1);
    const rebuilt = clients.s3(FIXTURE_ACCOUNT, FIXTURE_REGION);
    expect(rebuilt).not.toBe(s3);
    // A caller that still holds the closed client can go on using it.
    await expect(s3.send(new ListBucketsCommand({}))).resolves.toBeDefined();
    await expect(rebuilt.send(new ListBucketsCommand({}))).resolves.toBeDefined();
  } finally {
    clients.destroy();
  }
});

it('never closes a client while a call is in flight, and closes it once the call has ended', async () => {
  // A server that holds each request until told to answer: the call stays in flight as long as the test needs.
  const held: ServerResponse[] = [];
  const server: Server = createServer((_req, res) => held.push(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const clients = new AwsClients({
    endpoint: `http://127.0.0.1:${port}`,
    credentials: TEST_CREDENTIALS,
    maxAttempts: 1,
  });
  try {
    const call = clients.s3(FIXTURE_ACCOUNT, FIXTURE_REGION).send(new ListBucketsCommand({}));
    while (held.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));

    expect(clients.evictIdle(0, Date.now() + 3_600_000)).toBe(0);
    held[0]?.writeHead(200, { 'content-type': 'application/xml' });
    held[0]?.end('<ListAllMyBucketsResult><Buckets></Buckets></ListAllMyBucketsResult>');
    const out = await call;

    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(clients.evictIdle(0)).toBe(1);
    expect(clients.size).toBe(0);
  } finally {
    clients.destroy();
    for (const res of held) res.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});
