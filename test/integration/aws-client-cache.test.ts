/**
 * The AWS client cache against moto: idle clients are closed and rebuilt on the next lookup, and a client with a call
 * in flight is never closed under that call.
 */
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { MotoServer } from '../../src/devstack/moto-server';
import { motoClients } from '../helpers/aws';
import { startSuiteMoto } from '../helpers/servers';

let moto: MotoServer;

beforeAll(async () => {
  moto = await startSuiteMoto();
});
afterAll(async () => {
  await moto?.stop();
});

it('closes clients idle for the given time, keeps recently used ones, and builds a fresh one on the next lookup', async () => {
  const clients = motoClients(moto.endpoint);
  const s3 = clients.s3('123456789012', 'ap-northeast-1');
  await s3.send(new ListBucketsCommand({}));
  clients.ec2('123456789012', 'ap-northeast-1');
  expect(clients.size).toBe(2);

  expect(clients.evictIdle(60_000)).toBe(0);
  expect(clients.evictIdle(60_000, Date.now() + 60_000)).toBe(2);

  expect(clients.size).toBe(0);
  const rebuilt = clients.s3('123456789012', 'ap-northeast-1');
  expect(rebuilt).not.toBe(s3);
  // A caller that still holds the closed client can go on using it.
  await expect(s3.send(new ListBucketsCommand({}))).resolves.toBeDefined();
  await expect(rebuilt.send(new ListBucketsCommand({}))).resolves.toBeDefined();
  clients.destroy();
});

it('never closes a client while a call is in flight, and closes it once the call has ended', async () => {
  const clients = motoClients(moto.endpoint);
  const sqs = clients.sqs('ap-northeast-1');
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: `cache-${Date.now()}` }));
  // A 2 s long poll on an empty queue: in flight while the eviction runs.
  const polling = sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, WaitTimeSeconds: 2 }));
  await new Promise((resolve) => setTimeout(resolve, 300));

  expect(clients.evictIdle(0, Date.now() + 3_600_000)).toBe(0);
  const out = await polling;

  expect(out.Messages ?? []).toEqual([]);
  expect(clients.evictIdle(0)).toBe(1);
  expect(clients.size).toBe(0);
});
