/**
 * The events of the benchmark: AWS Config NON_COMPLIANT compliance changes for S3 buckets, built from the repo's
 * fixture (`examples/events/config-s3-bucket-public-read-noncompliant.json`) with the bucket replaced, and
 * the ways they are sent: PutEvents on EventBridge (the rule delivers them to the ingest queue) or straight onto the
 * queue as EventBridge's SQS target would deliver them.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventBridgeClient, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { BucketLocationConstraint, S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { withDetectorTimesNow } from '../../src/commands/event-times';
import { remediationWorkflowId } from '../../src/domain/finding';

/** Account and region of the event fixtures. */
export const ACCOUNT = '123456789012';
export const REGION = 'ap-northeast-1';

const FIXTURE = join(__dirname, '../../examples/events/config-s3-bucket-public-read-noncompliant.json');

type Json = Record<string, unknown>;
let template: Json | undefined;

/** The EventBridge envelope of a Config NON_COMPLIANT change for `bucket` (fresh event id). */
export function configEvent(bucket: string): Json {
  template ??= JSON.parse(readFileSync(FIXTURE, 'utf8')) as Json;
  const text = JSON.stringify(template).split('acme-marketing-assets').join(bucket);
  // Detector times of now as well (as `send-event` sends them), so the MTTR metric reads seconds, not weeks.
  return { ...withDetectorTimesNow(JSON.parse(text) as Json), id: randomUUID() };
}

/** The remediation workflow id of a bucket. */
export function bucketWorkflowId(bucket: string): string {
  return remediationWorkflowId({
    account: ACCOUNT,
    region: REGION,
    resourceType: 'AWS::S3::Bucket',
    resourceId: bucket,
  });
}

/** `prefix-00001` … names, lower-case as S3 requires. */
export function bucketNames(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`);
}

/** The PutEvents entry of an event, as `remediator send-event` builds it. */
export function putEventsEntry(event: Json): PutEventsRequestEntry {
  return {
    EventBusName: 'default',
    Source: String(event.source),
    DetailType: String(event['detail-type']),
    Detail: JSON.stringify(event.detail),
    Resources: (event.resources as string[] | undefined) ?? [],
    Time: new Date(String(event.time)),
  };
}

/** One PutEvents call (≤ 10 entries); throws when EventBridge refused any. */
export async function putEvents(events: EventBridgeClient, entries: PutEventsRequestEntry[]): Promise<void> {
  const out = await events.send(new PutEventsCommand({ Entries: entries }));
  if ((out.FailedEntryCount ?? 0) > 0) {
    const failed = out.Entries?.find((e) => e.ErrorCode);
    throw new Error(`PutEvents refused ${out.FailedEntryCount} entries: ${failed?.ErrorCode ?? '?'}`);
  }
}

/** Runs `fn` over `items` with at most `concurrency` in flight; resolves when all finished. */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T, i);
    }
  });
  await Promise.all(lanes);
}

/** Splits into chunks of `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Puts events on EventBridge as fast as `concurrency` PutEvents calls of 10 entries allow. */
export async function putEventsBurst(
  events: EventBridgeClient,
  list: readonly Json[],
  concurrency = 4,
): Promise<void> {
  await pool(chunks(list, 10), concurrency, (batch) => putEvents(events, batch.map(putEventsEntry)));
}

/** Puts the events straight onto the ingest queue (SendMessageBatch of 10), bodies as EventBridge delivers them. */
export async function preloadQueue(
  sqs: SQSClient,
  queueUrl: string,
  list: readonly Json[],
  concurrency = 4,
): Promise<void> {
  await pool(chunks(list, 10), concurrency, async (batch) => {
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((event, i) => ({ Id: String(i), MessageBody: JSON.stringify(event) })),
      }),
    );
    if ((out.Failed ?? []).length > 0)
      throw new Error(`SendMessageBatch failed: ${JSON.stringify(out.Failed)}`);
  });
}

/**
 * Puts the events on the ingest queue in SendMessageBatch calls of ten, keeping at most `maxQueued` visible: moto's
 * ReceiveMessage walks every stored message, so 10,000 queued at once drain at a few messages a second (bridges
 * reading an SQS queue on AWS see no such cost). With `perSecond`, paced at that rate instead. Resolves once the
 * last batch is sent.
 */
export async function feedQueue(
  sqs: SQSClient,
  queueUrl: string,
  list: readonly Json[],
  maxQueued = 300,
  perSecond?: number,
): Promise<void> {
  const batches = chunks(list, 10);
  if (perSecond !== undefined) {
    // Paced: one batch of ten every 10 / perSecond seconds, from a fixed start (a slow send never shifts the rest).
    const started = Date.now();
    for (let i = 0; i < batches.length; i += 1) {
      const due = started + (i * 10_000) / perSecond;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      await preloadQueue(sqs, queueUrl, batches[i] as Json[]);
    }
    return;
  }
  let queued = 0;
  for (let i = 0; i < batches.length;) {
    if (queued + 10 > maxQueued) {
      const out = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages'],
        }),
      );
      queued = Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
      if (queued + 10 > maxQueued) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
    }
    const room = Math.max(1, Math.floor((maxQueued - queued) / 10));
    const wave = batches.slice(i, i + Math.min(room, 20));
    await preloadQueue(sqs, queueUrl, wave.flat());
    i += wave.length;
    queued += wave.length * 10;
  }
}

/** Creates the buckets (no public access block: what the playbook fixes). */
export async function createBuckets(s3: S3Client, names: readonly string[], concurrency = 8): Promise<void> {
  await pool(names, concurrency, async (bucket) => {
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        CreateBucketConfiguration: { LocationConstraint: REGION as BucketLocationConstraint },
      }),
    );
  });
}

/** A seeded generator of numbers in [0, 1) (mulberry32), so a run's random choices repeat. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle with a seeded generator (mulberry32), so a run is repeatable. */
export function shuffled<T>(items: readonly T[], seed = 6): T[] {
  const random = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
