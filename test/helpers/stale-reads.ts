/**
 * The product's AWS clients on moto, with S3 reads that lag behind a write: after a PutPublicAccessBlock, the next
 * `staleReads` GetPublicAccessBlock calls answer as if no block were set. That is how a read-after-write lag looks to
 * verification, and moto (consistent at once) cannot produce it, so it is injected here and named as such.
 */
import type { InitializeMiddleware, MetadataBearer } from '@aws-sdk/types';
import { InterceptingClients } from './intercepting-clients';

/** Clients whose S3 reads of the public access block lag behind its write. */
export class StaleReadClients extends InterceptingClients {
  /** GetPublicAccessBlock calls since the last PutPublicAccessBlock, stale or not. */
  readsAfterWrite = 0;
  /** Of those, the ones answered as if nothing had been written. */
  staleAnswered = 0;
  private written = false;

  /** `staleReads`: how many reads after a write answer stale (`Infinity`: every one). */
  constructor(
    endpoint: string,
    private readonly staleReads: number,
  ) {
    super(endpoint, 'stale-reads');
  }

  protected intercept(): InitializeMiddleware<object, MetadataBearer> {
    return (next, context) => async (args) => {
      const command = String(context.commandName);
      if (command === 'PutPublicAccessBlockCommand') {
        const result = await next(args);
        this.written = true;
        this.readsAfterWrite = 0;
        return result;
      }
      if (command === 'GetPublicAccessBlockCommand' && this.written) {
        this.readsAfterWrite += 1;
        if (this.staleAnswered < this.staleReads) {
          this.staleAnswered += 1;
          throw Object.assign(new Error('The public access block configuration was not found'), {
            name: 'NoSuchPublicAccessBlockConfiguration',
            $fault: 'client',
            $metadata: { httpStatusCode: 404 },
          });
        }
      }
      return next(args);
    };
  }
}
