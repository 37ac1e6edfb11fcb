/**
 * The bridge's unit-test harness over the in-memory SQS (./fake-sqs.ts): a bridge with short waits and backoffs, a
 * handler that delivers every body, message bodies, and a poll for a condition.
 */
import type { Disposition } from '../../src/ingest/message-handler';
import { SqsBridge } from '../../src/ingest/sqs-bridge';
import type { BridgeOptions } from '../../src/ingest/sqs-bridge';
import { silentLogger } from '../../src/logger';
import type { FakeSqs } from './fake-sqs';

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `predicate` every 5 ms until it holds; throws after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

/** What the handler answers for a body Temporal accepted. */
export const delivered = (body: string): Disposition => ({
  kind: 'delivered',
  workflowId: `wf/${body}`,
  eventId: body,
  resourceId: body,
  playbook: 'p',
});

/** `n` distinct bodies: `e0`, `e1`, … (or with another prefix). */
export const bodies = (n: number, prefix = 'e'): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** A bridge on the fake queue that delivers every body, with quick waits; `options` override any of it. */
export function bridgeOn(sqs: FakeSqs, options: Partial<BridgeOptions>): SqsBridge {
  return new SqsBridge({
    sqs: sqs.client,
    queueUrl: 'https://sqs.local/ingest',
    deadLetterQueueUrl: 'https://sqs.local/dlq',
    handleMessage: async (body) => delivered(body),
    checkTemporal: async () => undefined,
    logger: silentLogger,
    // A short long poll (fractions of a second are the fake's, SQS takes whole seconds): a stop waits for it to end.
    waitTimeSeconds: 0.2,
    backoffInitialMs: 10,
    backoffMaxMs: 20,
    ...options,
  });
}
