/**
 * The ingest bridge as the local stack (and the end-to-end tests) run it in-process: the trust gate checks what each
 * message claims, the policy routes, Config findings are enriched with the rule's managed identifier, refusals alert
 * the on-call topic when there is one, and the queue is polled with a short wait so local events arrive in about a
 * second.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Client } from '@temporalio/client';
import type { AwsClients } from '../aws/clients';
import { resolveTrust } from '../domain/policy';
import type { RemediationPolicy, ResolvedTrust } from '../domain/policy';
import { ConfigRuleResolver, configFindingEnricher } from '../ingest/config-rule-resolver';
import { FindingDispatcher } from '../ingest/dispatcher';
import { createMessageHandler } from '../ingest/message-handler';
import { SecurityAlerter, topicRegionOf } from '../ingest/security-alert';
import { SqsBridge } from '../ingest/sqs-bridge';
import type { Logger } from '../logger';
import { policyVersion, trustSettings } from '../policy/worker-policy';
import { checkReachable } from '../temporal/connection';
import { localStackPolicy } from './local-policy';
import type { MetricsRecorder } from '../metrics/recorder';
import type { LocalResources } from './local-resources';

/** What the in-process bridge reads from and writes to. */
export interface LocalBridgeOptions {
  readonly sqs: SQSClient;
  /** With `oncallTopicArn`, refusals of the trust gate alert that topic as `remediator ingest` does. */
  readonly resources: Pick<LocalResources, 'ingestQueueUrl' | 'deadLetterQueueUrl'> &
    Partial<Pick<LocalResources, 'oncallTopicArn'>>;
  /** For the Config rule resolver and the security alerts. */
  readonly clients: AwsClients;
  readonly client: Client;
  readonly taskQueue: string;
  readonly policy: RemediationPolicy;
  /**
   * What messages are checked against. Default: the policy's trust settings with `self` as moto's account
   * (`MOTO_ACCOUNT`, what its STS answers and the fixtures' account).
   */
  readonly trust?: ResolvedTrust;
  readonly logger: Logger;
  /** Where the bridge counts findings and polls; none when absent. */
  readonly metrics?: MetricsRecorder;
}

/**
 * The account moto's STS answers GetCallerIdentity with (its default), the account of the event fixtures, and the one
 * its EventBridge's events come from (it delivers them to SQS without `account`).
 */
export const MOTO_ACCOUNT = '123456789012';

/** A running in-process bridge; `stop` lets its poll in flight return and settles what it brought. */
export interface LocalBridge {
  readonly bridge: SqsBridge;
  stop(): Promise<void>;
}

/** Starts the bridge polling. */
export function startLocalBridge(options: LocalBridgeOptions): LocalBridge {
  const { client, taskQueue, policy, logger } = options;
  // The policy as the local stack's worker holds it, so the version in each input is the worker's own.
  const local = localStackPolicy(policy);
  const trust = options.trust ?? resolveTrust(trustSettings(local), MOTO_ACCOUNT);
  const topicArn = options.resources.oncallTopicArn;
  const alerter = topicArn
    ? new SecurityAlerter({ sns: options.clients.sns(topicRegionOf(topicArn)), topicArn, logger })
    : undefined;
  const bridge = new SqsBridge({
    sqs: options.sqs,
    queueUrl: options.resources.ingestQueueUrl,
    deadLetterQueueUrl: options.resources.deadLetterQueueUrl,
    handleMessage: createMessageHandler({
      policy,
      dispatcher: new FindingDispatcher(client, taskQueue, policyVersion(local)),
      trust,
      // moto's EventBridge leaves `account` out of what it delivers to SQS; its events are its own account's.
      emulatorEnvelopeAccount: MOTO_ACCOUNT,
      enrich: configFindingEnricher(new ConfigRuleResolver(options.clients, logger)),
      ...(alerter ? { alert: (refusal) => alerter.refused(refusal) } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
    }),
    ...(options.metrics ? { metrics: options.metrics } : {}),
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
      await alerter?.flush();
    },
  };
}
