/**
 * An SQS queue in memory for the bridge's pipeline unit tests: it hands each message out exactly once (unlike moto,
 * whose concurrent receives can race), so counts are exact. A receive long-polls until a message arrives, its wait time
 * ends (empty answer) or the call is aborted; each call takes ~1 ms. The integration tests use moto.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import type {
  BatchResultErrorEntry,
  ChangeMessageVisibilityRequest,
  DeleteMessageBatchRequest,
  Message,
  ReceiveMessageRequest,
  SQSClient,
} from '@aws-sdk/client-sqs';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A ChangeMessageVisibility call as the fake saw it. */
export interface VisibilityChange {
  readonly messageId: string;
  readonly seconds: number;
}

/** The queue; `client` is what the bridge gets as its `SQSClient`. */
export class FakeSqs {
  readonly calls = new Map<string, number>();
  readonly deleteBatchSizes: number[] = [];
  readonly deadLettered: string[] = [];
  readonly visibilityChanges: VisibilityChange[] = [];
  /** Message ids whose delete SQS refuses (as for an expired receipt handle). */
  readonly refuse = new Set<string>();
  receivesInFlight = 0;
  maxReceivesInFlight = 0;
  private visible: Message[] = [];
  private readonly received = new Map<string, Message>();
  private arrivals: (() => void)[] = [];
  private seq = 0;

  get client(): SQSClient {
    return this as unknown as SQSClient;
  }

  /** Messages received and not deleted. */
  get inFlight(): number {
    return this.received.size;
  }

  add(...bodies: string[]): void {
    for (const body of bodies) this.visible.push({ MessageId: `m${(this.seq += 1)}`, Body: body });
    const waiting = this.arrivals;
    this.arrivals = [];
    for (const wake of waiting) wake();
  }

  /** What the visibility timeout does: what was received and not deleted becomes visible again. */
  redeliver(): void {
    const back = [...this.received.values()];
    this.received.clear();
    this.add(...back.map((m) => m.Body ?? ''));
  }

  async send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown> {
    const name = (command as object).constructor.name;
    this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
    await sleep(1);
    if (command instanceof ReceiveMessageCommand) return this.receive(command.input, options?.abortSignal);
    if (command instanceof DeleteMessageBatchCommand) return this.deleteBatch(command.input);
    if (command instanceof ChangeMessageVisibilityCommand) return this.changeVisibility(command.input);
    if (command instanceof SendMessageCommand) {
      this.deadLettered.push(command.input.MessageBody ?? '');
      return {};
    }
    throw new Error(`unexpected ${name}`);
  }

  private async receive(input: ReceiveMessageRequest, signal?: AbortSignal): Promise<unknown> {
    this.maxReceivesInFlight = Math.max(this.maxReceivesInFlight, (this.receivesInFlight += 1));
    try {
      const waitEndsAt = Date.now() + (input.WaitTimeSeconds ?? 0) * 1000;
      while (this.visible.length === 0) {
        if (Date.now() >= waitEndsAt) return { Messages: [] };
        await new Promise<void>((resolve, reject) => {
          const aborted = () => reject(new Error('aborted'));
          if (signal?.aborted) return aborted();
          const waitEnds = setTimeout(wake, waitEndsAt - Date.now());
          signal?.addEventListener('abort', aborted, { once: true });
          this.arrivals.push(wake);
          function wake(): void {
            clearTimeout(waitEnds);
            signal?.removeEventListener('abort', aborted);
            resolve();
          }
        });
      }
      const messages = this.visible.splice(0, input.MaxNumberOfMessages ?? 1).map((m) => {
        const receiptHandle = `${m.MessageId}/${(this.seq += 1)}`;
        this.received.set(receiptHandle, m);
        return { ...m, ReceiptHandle: receiptHandle };
      });
      return { Messages: messages };
    } finally {
      this.receivesInFlight -= 1;
    }
  }

  private changeVisibility(input: ChangeMessageVisibilityRequest): unknown {
    const message = this.received.get(input.ReceiptHandle ?? '');
    if (!message) throw Object.assign(new Error('refused'), { name: 'ReceiptHandleIsInvalid' });
    this.visibilityChanges.push({
      messageId: message.MessageId ?? '',
      seconds: input.VisibilityTimeout ?? -1,
    });
    return {};
  }

  private deleteBatch(input: DeleteMessageBatchRequest): unknown {
    const entries = input.Entries ?? [];
    this.deleteBatchSizes.push(entries.length);
    const successful: { Id: string }[] = [];
    const failed: BatchResultErrorEntry[] = [];
    for (const { Id, ReceiptHandle } of entries) {
      const message = this.received.get(ReceiptHandle ?? '');
      if (!message || this.refuse.has(message.MessageId ?? '')) {
        failed.push({ Id, Code: 'ReceiptHandleIsInvalid', Message: 'refused', SenderFault: true });
      } else {
        this.received.delete(ReceiptHandle ?? '');
        successful.push({ Id: Id ?? '' });
      }
    }
    return { Successful: successful, Failed: failed };
  }
}
