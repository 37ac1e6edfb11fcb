/**
 * The ingest bridge as the local stack (and the end-to-end tests) run it in-process: the policy routes, Config
 * findings are enriched with the rule's managed identifier, and the queue is polled with a short wait so local events
 * arrive in about a second.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Client } from '@temporalio/client';
import type { AwsClients } from '../aws/clients';
import { PLAYBOOKS } from '../domain/playbooks';
import { resolveExecutionSettings } from '../domain/policy';
import type { RemediationPolicy } from '../domain/policy';
import { ConfigRuleResolver, configFindingEnricher } from '../ingest/config-rule-resolver';
import { FindingDispatcher } from '../ingest/dispatcher';
import { createMessageHandler } from '../ingest/message-handler';
import { SqsBridge } from '../ingest/sqs-bridge';
import type { Logger } from '../logger';
import { checkReachable } from '../temporal/connection';
import type { LocalResources } from './local-resources';

/** What the in-process bridge reads from and writes to. */
export interface LocalBridgeOptions {
  readonly sqs: SQSClient;
  readonly resources: Pick<LocalResources, 'ingestQueueUrl' | 'deadLetterQueueUrl'>;
  /** For the Config rule resolver. */
  readonly clients: AwsClients;
  readonly client: Client;
  readonly taskQueue: string;
  readonly policy: RemediationPolicy;
  readonly logger: Logger;
}

/** A running in-process bridge; `stop` lets its poll in flight return and settles what it brought. */
export interface LocalBridge {
  readonly bridge: SqsBridge;
  stop(): Promise<void>;
}

/** Starts the bridge polling. */
export function startLocalBridge(options: LocalBridgeOptions): LocalBridge {
  const { client, taskQueue, policy, logger } = options;
  const settings = resolveExecutionSettings(policy, Object.keys(PLAYBOOKS));
  const bridge = new SqsBridge({
    sqs: options.sqs,
    queueUrl: options.resources.ingestQueueUrl,
    deadLetterQueueUrl: options.resources.deadLetterQueueUrl,
    handleMessage: createMessageHandler(
      policy,
      new FindingDispatcher(client, taskQueue, settings),
      configFindingEnricher(new ConfigRuleResolver(options.clients, logger)),
    ),
    checkTemporal: () => checkReachable(client),
    logger,
    waitTimeSeconds: 1,
  });
  const stopBridge = new AbortController();
  const run = bridge.run(stopBridge.signal);
  return {
    bridge,
    async stop() {
      stopBridge.abort();
      await run;
    },
  };
}
