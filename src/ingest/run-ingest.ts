/**
 * `remediator ingest`: wires the SQS bridge to Temporal and runs it until SIGTERM/SIGINT, letting the long poll in
 * flight return and finishing in-flight messages before exiting 0 (a second signal cuts the poll short).
 */
import { resolveTrust } from '../domain/policy';
import { AwsClients } from '../aws/clients';
import { callerIdentity } from '../aws/caller-identity';
import { ConfigError, loadIngestConfig } from '../config';
import type { IngestConfig } from '../config';
import type { ProcessMetrics } from '../metrics/process-metrics';
import { describeTracing } from '../telemetry/tracing';
import { withProcessTelemetry } from '../telemetry/process-telemetry';
import type { Tracing } from '../telemetry/tracing';
import { describeTelemetry } from '../metrics/telemetry';
import { redactingRuntimeLogger } from '../temporal/runtime-logger';
import type { Logger } from '../logger';
import { loadPolicy } from '../policy/load-policy';
import { policyVersion, trustSettings } from '../policy/worker-policy';
import { checkReachable, lazyClient, temporalTarget } from '../temporal/connection';
import { FindingDispatcher } from './dispatcher';
import { ConfigRuleResolver, configFindingEnricher } from './config-rule-resolver';
import { createMessageHandler } from './message-handler';
import { SecurityAlerter, topicRegionOf } from './security-alert';
import { discoverDeadLetterQueue, SqsBridge } from './sqs-bridge';

/** Runs the bridge until a shutdown signal. */
export async function runIngest(logger: Logger): Promise<void> {
  const config = loadIngestConfig();
  // The ingest runs no worker; the runtime is here for its metrics exporter (and the same redaction of SDK lines).
  await withProcessTelemetry(
    'remediator-ingest',
    redactingRuntimeLogger('WARN'),
    logger,
    (metrics, tracing) => serve(config, logger, metrics, tracing),
  );
}

/** The bridge's life once its runtime and tracing are in place: until a shutdown signal. */
async function serve(
  config: IngestConfig,
  logger: Logger,
  metrics: ProcessMetrics,
  tracing: Tracing,
): Promise<void> {
  const policy = loadPolicy(config.policyPath);
  const clients = new AwsClients({ ...(config.endpoint ? { endpoint: config.endpoint } : {}) });
  const sqs = clients.sqs(config.region);
  const deadLetterQueueUrl =
    config.deadLetterQueueUrl ?? (await discoverDeadLetterQueue(sqs, config.queueUrl));
  if (!deadLetterQueueUrl) {
    throw new ConfigError(
      'INGEST_DLQ_URL is not set and INGEST_QUEUE_URL has no redrive policy: invalid messages need a dead-letter queue',
    );
  }
  // `self` in the policy's trust settings is the ingest's own account (docs/architecture.md, Trust model).
  const me = await callerIdentity({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
  });
  const trust = resolveTrust(trustSettings(policy), me.account);
  const version = policyVersion(policy);
  const alerter = config.oncallTopicArn
    ? new SecurityAlerter({
        sns: clients.sns(topicRegionOf(config.oncallTopicArn)),
        topicArn: config.oncallTopicArn,
        logger,
      })
    : undefined;
  logger.info('Ingest trust', {
    policyVersion: version,
    selfAccount: trust.selfAccount,
    accounts: trust.accounts,
    regions: trust.regions ?? 'any',
    delegatedAdminAccounts: trust.delegatedAdminAccounts,
    maxEventAgeMs: trust.maxEventAgeMs,
    securityAlerts: config.oncallTopicArn ?? 'off (ONCALL_TOPIC_ARN is not set)',
    ...describeTelemetry(metrics.config),
    ...describeTracing(tracing),
  });
  const target = temporalTarget();
  const client = lazyClient(target);
  const bridge = new SqsBridge({
    sqs,
    queueUrl: config.queueUrl,
    deadLetterQueueUrl,
    handleMessage: createMessageHandler({
      policy,
      dispatcher: new FindingDispatcher(client, config.taskQueue, version),
      trust,
      enrich: configFindingEnricher(new ConfigRuleResolver(clients, logger)),
      ...(alerter ? { alert: (refusal) => alerter.refused(refusal) } : {}),
      // moto's EventBridge leaves the envelope's account out; AWS never does. Only against an emulator endpoint.
      ...(config.endpoint ? { emulatorEnvelopeAccount: me.account } : {}),
      metrics: metrics.recorder,
    }),
    metrics: metrics.recorder,
    checkTemporal: () => checkReachable(client),
    logger,
    waitTimeSeconds: config.waitTimeSeconds,
    maxMessages: config.concurrency,
  });
  const stop = new AbortController();
  const force = new AbortController();
  const onSignal = (signal: string): void => {
    if (!stop.signal.aborted) {
      logger.info(
        'Shutdown requested; letting the long poll in flight return and finishing in-flight messages',
        {
          signal,
          withinSeconds: config.waitTimeSeconds,
          again:
            'a second signal cuts the long poll short (its messages reappear after their visibility timeout)',
        },
      );
      stop.abort();
      return;
    }
    logger.warn('Second shutdown signal; cutting the long poll short (a third one exits at once)', {
      signal,
    });
    force.abort();
    // Node's default action (exit) again for a third signal, should settling hang.
    removeSignalHandlers();
  };
  const removeSignalHandlers = (): void => {
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('SIGINT', onSignal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await bridge.run(stop.signal, force.signal);
  } finally {
    removeSignalHandlers();
    // Alerts already decided go out before the clients close (each publish is bounded by its timeout).
    await alerter?.flush();
    clients.destroy();
    await client.connection.close().catch(() => undefined);
  }
}
