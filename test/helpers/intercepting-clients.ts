/**
 * The product's AWS clients on moto with one middleware on every client a kit playbook builds (`client()`): how a
 * test or script injects what moto cannot produce (an IAM refusal, a read that lags behind a write) into the calls
 * the product itself makes. Each client gets the middleware once, however often it is asked for.
 */
import type { InitializeMiddleware, MetadataBearer } from '@aws-sdk/types';
import { AwsClients } from '../../src/aws/clients';
import type { ClientConfig, EmulatorConfig } from '../../src/aws/clients';
import { TEST_CREDENTIALS } from './aws';

/** Clients whose playbook-built clients all run `intercept()` at the SDK's initialize step. */
export abstract class InterceptingClients extends AwsClients {
  private readonly intercepted = new WeakSet<object>();

  /** `name`: the middleware's name on each client's stack. */
  constructor(
    endpoint: string,
    private readonly name: string,
  ) {
    super({ endpoint, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  }

  /** The middleware to add; asked once per client. */
  protected abstract intercept(): InitializeMiddleware<object, MetadataBearer>;

  override client<C extends { destroy(): void }>(
    make: new (config: ClientConfig & EmulatorConfig) => C,
    account: string,
    region: string,
  ): C {
    const client = super.client(make, account, region);
    if (!this.intercepted.has(client)) {
      this.intercepted.add(client);
      (client as unknown as { middlewareStack: { add(m: unknown, o: object): void } }).middlewareStack.add(
        this.intercept(),
        { step: 'initialize', name: this.name },
      );
    }
    return client;
  }
}
