/**
 * Deletes received messages from an SQS queue ten at a time (DeleteMessageBatch): the bridge's per-message delete
 * cost becomes a per-batch one.
 */
import { DeleteMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { asError } from '../as-error';

/** SQS's limit of entries per DeleteMessageBatch. */
const DELETE_BATCH_MAX = 10;

interface PendingDelete {
  readonly receiptHandle: string;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/**
 * Groups deletes into DeleteMessageBatch requests, one request at a time: deletes asked for while a request is in
 * flight wait and go together in the next one, so batches fill up under load with no timer to tune. One at a time
 * also because moto's delete is not safe against a concurrent one (it can bring a deleted message back).
 */
export class DeleteBatcher {
  private readonly waiting: PendingDelete[] = [];
  private flushing = false;

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /** Resolves once SQS confirmed this message's delete; rejects with the reason otherwise. */
  delete(message: Message): Promise<void> {
    const receiptHandle = message.ReceiptHandle;
    if (!receiptHandle) return Promise.reject(new Error('the message has no receipt handle'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ receiptHandle, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      // One turn of the event loop, so the other settles of a batch finishing together join the first request.
      await new Promise((resolve) => setImmediate(resolve));
      while (this.waiting.length > 0) await this.send(this.waiting.splice(0, DELETE_BATCH_MAX));
    } finally {
      this.flushing = false;
    }
  }

  /** Settles every entry of `batch`: SQS answers per entry, and a request that fails fails them all. */
  private async send(batch: PendingDelete[]): Promise<void> {
    try {
      const out = await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((p, i) => ({ Id: String(i), ReceiptHandle: p.receiptHandle })),
        }),
      );
      const deleted = new Set((out.Successful ?? []).map((s) => s.Id));
      const failed = new Map((out.Failed ?? []).map((f) => [f.Id, f]));
      batch.forEach((p, i) => {
        const failure = failed.get(String(i));
        if (deleted.has(String(i)) && !failure) return p.resolve();
        p.reject(
          new Error(failure ? `${failure.Code}: ${failure.Message}` : 'missing from the batch response'),
        );
      });
    } catch (err) {
      for (const p of batch) p.reject(asError(err));
    }
  }
}
