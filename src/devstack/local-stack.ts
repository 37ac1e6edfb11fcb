/**
 * The local stack of `remediator dev` and `demo`: the Temporal dev server (with Web UI), moto with the AWS side
 * created, and the worker and ingest bridge running in this process against them.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { AwsClients } from '../aws/clients';
import type { RemediationPolicy } from '../domain/policy';
import type { Logger } from '../logger';
import { clientTracingInterceptors } from '../telemetry/temporal-tracing';
import { createRemediationWorker } from '../worker';
import { callerIdentity } from '../aws/caller-identity';
import { workerPolicy } from '../policy/worker-policy';
import { startLocalBridge } from './local-bridge';
import { localStackPolicy } from './local-policy';
import { motoStsFetch } from './moto-sts-fetch';
import { createIdentityVerifier } from '../auth/verify-decision';
import { createLocalResources } from './local-resources';
import type { LocalResources } from './local-resources';
import { startMoto } from './moto-server';
import type { MotoServer } from './moto-server';
import { startTemporalDevServer } from './temporal-dev-server';
import { startTogether } from './processes';
import { pollApprovalsWaiting } from '../metrics/approvals-waiting';
import { awsErrorCounter } from '../metrics/aws-error-metric';
import type { ProcessMetrics } from '../metrics/process-metrics';
import type { TemporalDevServer } from './temporal-dev-server';

/**
 * The emulator's access key id: the worker's and the one `env` hands the CLI in another shell. moto accepts any, but
 * the CLI signs operator decisions with it and the worker refuses a credential scope whose key id is not of AWS's shape
 * (letters and digits; docs/architecture.md, Trust model: signed operator decisions), so it must be one: a key id
 * with a hyphen such as `local-emulator` has every signed decision on the local stack refused before STS is asked.
 */
const EMULATOR_ACCESS_KEY_ID = 'LOCALEMULATORKEY';
/** The emulator's secret: moto checks no signature, and a secret never travels in a signed decision. */
const EMULATOR_SECRET_ACCESS_KEY = 'local-emulator';

/** Credentials for the emulator only. */
const EMULATOR_CREDENTIALS = async () => ({
  accessKeyId: EMULATOR_ACCESS_KEY_ID,
  secretAccessKey: EMULATOR_SECRET_ACCESS_KEY,
});

/** A running local stack. */
export interface LocalStack {
  readonly temporal: TemporalDevServer;
  readonly moto: MotoServer;
  readonly resources: LocalResources;
  readonly client: Client;
  readonly clients: AwsClients;
  /** EventBridge in the stack's region, where the detector-events rule lives. */
  readonly events: EventBridgeClient;
  readonly region: string;
  readonly taskQueue: string;
  /** Environment that points `remediator` commands in another shell at this stack. */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

/** Options of the local stack. */
export interface LocalStackOptions {
  readonly temporalCliPath: string;
  readonly motoServerPath: string;
  readonly policy: RemediationPolicy;
  readonly logger: Logger;
  readonly region?: string;
  readonly headless?: boolean;
  readonly temporalPort?: number;
  readonly uiPort?: number;
  readonly motoPort?: number;
  /** The process's metrics (`installRuntime`); absent, the stack counts nothing. */
  readonly metrics?: ProcessMetrics;
}

/** Starts every part and wires them; `stop()` shuts them down in reverse order. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const region = options.region ?? 'ap-northeast-1';
  const taskQueue = 'remediation';
  const { logger } = options;
  const [temporal, moto] = await startTogether<[TemporalDevServer, MotoServer]>([
    startTemporalDevServer({
      binary: options.temporalCliPath,
      headless: options.headless ?? false,
      ...(options.temporalPort ? { port: options.temporalPort } : {}),
      ...(options.uiPort ? { uiPort: options.uiPort } : {}),
    }),
    startMoto(options.motoServerPath, options.motoPort),
  ]);
  logger.info('Servers ready', { temporal: temporal.address, ui: temporal.uiUrl, moto: moto.endpoint });
  const { metrics } = options;
  const clients = new AwsClients({
    endpoint: moto.endpoint,
    credentials: EMULATOR_CREDENTIALS,
    ...(metrics?.on ? { onCallError: awsErrorCounter(metrics.recorder) } : {}),
  });
  const me = await callerIdentity({ region, endpoint: moto.endpoint, credentials: EMULATOR_CREDENTIALS });
  const held = workerPolicy(localStackPolicy(options.policy), me.account);
  logger.info('Local policy', {
    version: held.version,
    confirmAtSource: held.trust.confirmAtSource,
    unsignedDecisions: held.trust.allowUnsignedDecisions ? 'accepted' : 'refused',
  });
  const events = new EventBridgeClient({
    region,
    endpoint: moto.endpoint,
    credentials: EMULATOR_CREDENTIALS,
  });
  const resources = await createLocalResources(
    { sqs: clients.sqs(region), sns: clients.sns(region), s3: clients.s3('self', region), events },
    'remediator',
  );
  const connection = await Connection.connect({ address: temporal.address });
  // Traced like the ingest's client when the process traces (docs/observability.md, Traces).
  const interceptors = clientTracingInterceptors();
  const client = new Client({
    connection,
    namespace: temporal.namespace,
    ...(interceptors ? { interceptors } : {}),
  });
  const nativeConnection = await NativeConnection.connect({ address: temporal.address });
  const worker: Worker = await createRemediationWorker({
    connection: nativeConnection,
    namespace: temporal.namespace,
    taskQueue,
    ...(metrics ? { emf: metrics.emf } : {}),
    activities: createActivities({
      clients,
      notifyTopicArn: resources.notifyTopicArn,
      oncallTopicArn: resources.oncallTopicArn,
      auditBucket: resources.auditBucket,
      region,
      ui: { temporalUiUrl: temporal.uiUrl ?? 'http://localhost:8233', namespace: temporal.namespace },
      temporal: client,
      policyFor: () => held,
      verifyIdentity: createIdentityVerifier({ stsEndpoint: moto.endpoint, fetch: motoStsFetch }),
    }),
  });
  const workerRun = worker.run();
  const bridge = startLocalBridge({
    sqs: clients.sqs(region),
    resources,
    clients,
    client,
    taskQueue,
    policy: options.policy,
    logger,
    ...(metrics?.on ? { metrics: metrics.recorder } : {}),
  });
  const stopCounting = metrics?.on
    ? pollApprovalsWaiting(client, metrics.recorder, logger, 5_000)
    : () => undefined;
  const env = {
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    ...(temporal.uiUrl ? { TEMPORAL_UI_URL: temporal.uiUrl } : {}),
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: EMULATOR_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: EMULATOR_SECRET_ACCESS_KEY,
    INGEST_QUEUE_URL: resources.ingestQueueUrl,
    INGEST_DLQ_URL: resources.deadLetterQueueUrl,
    NOTIFY_TOPIC_ARN: resources.notifyTopicArn,
    ONCALL_TOPIC_ARN: resources.oncallTopicArn,
    AUDIT_BUCKET: resources.auditBucket,
  };
  return {
    temporal,
    moto,
    resources,
    client,
    clients,
    events,
    region,
    taskQueue,
    env,
    async stop() {
      stopCounting();
      await bridge.stop();
      // Ctrl-C reaches the Temporal runtime too, which may have begun the worker's shutdown already.
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerRun;
      await nativeConnection.close();
      await connection.close();
      events.destroy();
      clients.destroy();
      await Promise.all([temporal.stop(), moto.stop()]);
    },
  };
}
