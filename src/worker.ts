/**
 * `remediator worker`: connects through envconfig, checks the search attributes, registers the workflows and the
 * activities built from real AWS clients, and shuts down gracefully on SIGINT/SIGTERM (the Temporal runtime's
 * default shutdown signals: in-flight activities finish first).
 */
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities';
import { createSweepActivities } from './activities/sweep';
import type { ActivityDeps } from './activities';
import { AwsClients } from './aws/clients';
import { stsVerifyEndpoint, loadWorkerConfig } from './config';
import type { CrossAccountSettings, WorkerPolicy } from './domain/policy';
import { familyRoleName, ROLE_FAMILIES } from './domain/role-families';
import { loadPolicy } from './policy/load-policy';
import { workerPolicy } from './policy/worker-policy';
import { createIdentityVerifier } from './auth/verify-decision';
import type { IdentityVerifier } from './auth/verify-decision';
import { motoStsFetch } from './devstack/moto-sts-fetch';
import { callerIdentity, roleNameOf } from './aws/caller-identity';
import type { TicketSinkConfig, WorkerConfig } from './config';
import { topicRegion } from './activities/notify';
import { jiraSink } from './activities/tickets/jira-sink';
import { snsSink } from './activities/tickets/sns-sink';
import type { TicketSink } from './activities/tickets/ticket-sink';
import { webhookSink } from './activities/tickets/webhook-sink';
import type { Logger } from './logger';
import { connectClient, connectWorker, temporalTarget } from './temporal/connection';
import { redactingRuntimeLogger } from './temporal/runtime-logger';
import { pollApprovalsWaiting } from './metrics/approvals-waiting';
import { awsErrorCounter } from './metrics/aws-error-metric';
import { NO_EMF } from './metrics/emf';
import type { EmfWriter } from './metrics/emf';
import { metricsSinks } from './metrics/metrics-sinks';
import type { ProcessMetrics } from './metrics/process-metrics';
import { describeTelemetry } from './metrics/telemetry';
import { assertSearchAttributes } from './temporal/search-attributes-check';
import {
  activityTracingInterceptors,
  WORKFLOW_INTERCEPTOR_MODULES,
  workflowTracingSinks,
} from './telemetry/temporal-tracing';
import { describeTracing, processTracing } from './telemetry/tracing';
import { withProcessTelemetry } from './telemetry/process-telemetry';
import type { Tracing } from './telemetry/tracing';

/**
 * Where the workflow code is: bundled by the worker at start, or ahead of time by `remediator bundle-workflows`
 * (then loaded from `WORKFLOW_BUNDLE_PATH`).
 */
export const WORKFLOWS_PATH = require.resolve('./workflows');

/**
 * Workflow modules the bundle loads once per worker and shares between every execution it holds (the bundler's
 * `preloadModules`): the workflow code itself. Otherwise each cached execution evaluates its own copy of every module
 * it imports, with its own functions and their type feedback, which made up about a seventh of what a cached
 * execution costs (docs/benchmarks.md §5). Safe because the workflow modules keep no per-execution state at module
 * scope (the one module-level value, the metrics meter, reads the workflow from context at each emit); the bundler
 * freezes what they export.
 */
export const WORKFLOW_PRELOAD_MODULES: readonly string[] = [WORKFLOWS_PATH];

/** Builds a worker from explicit parts: used by `remediator worker`, `dev`, and the tests. */
export async function createRemediationWorker(options: {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: ReturnType<typeof createActivities> & Partial<ReturnType<typeof createSweepActivities>>;
  workflowBundle?: WorkerOptions['workflowBundle'];
  /**
   * The encrypting data converter (`temporalTarget().dataConverter`); absent means plain JSON payloads. Its failure
   * converter is bundled into the workflow code when the worker bundles at start; a prebuilt bundle keeps the one it
   * was built with (activity failures, converted outside the sandbox, are encoded either way).
   */
  dataConverter?: WorkerOptions['dataConverter'];
  /** Where the workflows' CloudWatch metrics go as EMF lines (docs/observability.md); default: nowhere. */
  emf?: EmfWriter;
  /**
   * Where workflow and activity spans go (docs/observability.md, Traces); default: the process's (`startTracing`),
   * off unless started. A bundle built at start includes the workflow interceptors either way, as a prebuilt one does.
   */
  tracing?: Tracing;
  /** The sticky cache's bound (`WORKER_MAX_CACHED_WORKFLOWS`); default: the SDK's, which grows with the heap limit. */
  maxCachedWorkflows?: number;
}): Promise<Worker> {
  const tracing = options.tracing ?? processTracing();
  return Worker.create({
    connection: options.connection,
    sinks: { ...metricsSinks(options.emf ?? NO_EMF), ...workflowTracingSinks(tracing) },
    interceptors: {
      ...activityTracingInterceptors(tracing),
      // A prebuilt bundle has them already (`remediator bundle-workflows`); the SDK warns if they are named again.
      ...(options.workflowBundle ? {} : { workflowModules: [...WORKFLOW_INTERCEPTOR_MODULES] }),
    },
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : {
          workflowsPath: WORKFLOWS_PATH,
          bundlerOptions: { preloadModules: [...WORKFLOW_PRELOAD_MODULES] },
        }),
    activities: options.activities,
    ...(options.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
  });
}

/** Activity dependencies from the worker configuration. */
export function activityDepsFromConfig(
  config: WorkerConfig,
  namespace: string,
  temporal: Client,
  policy: WorkerPolicy,
  crossAccount?: CrossAccountSettings,
  onAwsCallError?: (service: string, err: unknown) => void,
): ActivityDeps {
  const clients = new AwsClients({
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(onAwsCallError ? { onCallError: onAwsCallError } : {}),
    // Findings of member accounts are remediated through the policy's cross-account role.
    ...(crossAccount ? { crossAccount } : {}),
  });
  const ticketSink = config.ticketSink
    ? buildTicketSink(config.ticketSink, clients, config.region)
    : undefined;
  return {
    temporal,
    ...(ticketSink ? { ticketSink } : {}),
    clients,
    notifyTopicArn: config.notifyTopicArn,
    oncallTopicArn: config.oncallTopicArn,
    ...(config.auditBucket ? { auditBucket: config.auditBucket } : {}),
    region: config.region,
    ui: { temporalUiUrl: config.temporalUiUrl, namespace },
    // The worker's own policy, the same for every task queue it serves.
    policyFor: () => policy,
    // Signed decisions are checked at the STS endpoint of the worker's own configuration, never one a request names.
    verifyIdentity: identityVerifier(config),
  };
}

/**
 * The verifier of signed decisions: the STS endpoint of the worker's configuration. Against an emulator named only by
 * `AWS_ENDPOINT_URL` (moto), the request goes with the header moto needs to route it to STS (see moto-sts-fetch).
 */
function identityVerifier(config: WorkerConfig): IdentityVerifier {
  const stsEndpoint = stsVerifyEndpoint(process.env, config.region);
  const emulated = config.endpoint !== undefined && stsEndpoint === config.endpoint;
  return createIdentityVerifier({ stsEndpoint, ...(emulated ? { fetch: motoStsFetch } : {}) });
}

/** The ticket system the configuration names. */
export function buildTicketSink(config: TicketSinkConfig, clients: AwsClients, region: string): TicketSink {
  switch (config.kind) {
    case 'sns':
      return snsSink(clients.sns(topicRegion(config.topicArn) || region), config.topicArn);
    case 'webhook':
      return webhookSink(config.url, config.secret);
    case 'jira':
      return jiraSink(config);
  }
}

/** An AWS client unused this long (no call in flight) is closed; the next finding for its account builds a new one. */
export const AWS_CLIENT_IDLE_MS = 15 * 60_000;

/** Runs the worker until a shutdown signal. */
export async function runWorker(logger: Logger): Promise<void> {
  const config = loadWorkerConfig();
  // The SDK's and the workflows' log lines go through the same redaction as ours.
  await withProcessTelemetry(
    'remediator-worker',
    redactingRuntimeLogger('INFO'),
    logger,
    (metrics, tracing) => serve(config, logger, metrics, tracing),
  );
}

/** The worker's life once its runtime and tracing are in place: connect, check, run until a shutdown signal. */
async function serve(
  config: WorkerConfig,
  logger: Logger,
  metrics: ProcessMetrics,
  tracing: Tracing,
): Promise<void> {
  const target = temporalTarget();
  // The client stays open: the admission activity talks to the control workflow through it.
  const client = await connectClient(target);
  try {
    await assertSearchAttributes(client, target.namespace);
  } catch (err) {
    await client.connection.close();
    throw err;
  }
  const policy = loadPolicy(config.policyPath);
  const { crossAccount } = policy;
  // `self` in the policy is this account; the worker's own role and every member family role are always protected.
  const me = await callerIdentity({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
  });
  const memberRoles = crossAccount
    ? ROLE_FAMILIES.map((family) => familyRoleName(crossAccount.roleName, family))
    : [];
  const ownRoles = [roleNameOf(me.arn), ...memberRoles].filter((r): r is string => r !== undefined);
  const held = workerPolicy(policy, me.account, ownRoles);
  const deps = activityDepsFromConfig(
    config,
    target.namespace,
    client,
    held,
    crossAccount,
    metrics.on ? awsErrorCounter(metrics.recorder) : undefined,
  );
  const connection = await connectWorker(target);
  // A prebuilt bundle carries the failure converter it was built with (none): with payload encryption on, failures
  // raised in workflow code would leave in clear. Bundle at start instead, with the encoding failure converter.
  const bundlePath = target.dataConverter ? undefined : config.workflowBundlePath;
  if (target.dataConverter && config.workflowBundlePath) {
    logger.warn(
      'Payload encryption is on: ignoring the prebuilt workflow bundle, bundling with encoded failures',
      {
        workflowBundle: config.workflowBundlePath,
      },
    );
  }
  const worker = await createRemediationWorker({
    connection,
    namespace: target.namespace,
    taskQueue: config.taskQueue,
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : {}),
    ...(target.dataConverter ? { dataConverter: target.dataConverter } : {}),
    emf: metrics.emf,
    tracing,
    maxCachedWorkflows: config.maxCachedWorkflows,
    activities: {
      ...createActivities(deps),
      ...createSweepActivities({
        clients: deps.clients,
        temporal: client,
        policy,
        region: config.region,
        ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      }),
    },
  });
  logger.info('Worker started', {
    address: target.connectionOptions.address,
    namespace: target.namespace,
    taskQueue: config.taskQueue,
    auditBucket: config.auditBucket ?? '(log only)',
    ticketSink: config.ticketSink?.kind ?? 'audit',
    crossAccountRole: crossAccount?.roleName ?? '(none)',
    policyVersion: held.version,
    account: me.account,
    servesAccounts: held.trust.accounts.join(','),
    confirmAtSource: held.trust.confirmAtSource,
    unsignedDecisions: held.trust.allowUnsignedDecisions ? 'accepted' : 'refused',
    workflowBundle: bundlePath ?? '(bundled at start)',
    maxCachedWorkflows: config.maxCachedWorkflows,
    payloadEncryption: target.dataConverter ? 'on' : 'off',
    ...describeTelemetry(metrics.config),
    ...describeTracing(tracing),
  });
  const stopCounting = metrics.on ? pollApprovalsWaiting(client, metrics.recorder, logger) : () => undefined;
  // Findings name accounts and regions the worker builds clients for; close the ones idle for a while.
  const closeIdleClients = setInterval(() => {
    const closed = deps.clients.evictIdle(AWS_CLIENT_IDLE_MS);
    if (closed > 0) logger.info('Closed idle AWS clients', { closed, open: deps.clients.size });
  }, 60_000);
  closeIdleClients.unref();
  try {
    await worker.run();
  } finally {
    clearInterval(closeIdleClients);
    stopCounting();
    deps.clients.destroy();
    await connection.close();
    await client.connection.close();
    logger.info('Worker stopped');
  }
}
