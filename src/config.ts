/**
 * The only place our own code reads `process.env` (docs/architecture.md, Layers; every variable is listed under
 * Environment). Each loader validates what it reads and fails with the variable's name; the Temporal connection
 * settings are read by `@temporalio/envconfig`, AWS credentials and `AWS_ENDPOINT_URL` by the AWS SDK itself (we only
 * look at the endpoint to switch S3 to path-style addressing).
 */

import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultStsEndpoint } from './auth/sts-query';
import { REGION_PATTERN } from './domain/finding';
import { SecretKey } from './temporal/codec/secret-key';

/** Thrown when a setting is missing or malformed; the message names the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The environment a loader reads (`process.env` unless a test passes its own). */
export type Env = Readonly<Record<string, string | undefined>>;

function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** Returns a required variable or throws naming it. */
export function requireEnv(env: Env, name: string, hint = ''): string {
  const value = read(env, name);
  if (value === undefined) throw new ConfigError(`${name} is not set${hint ? ` (${hint})` : ''}`);
  return value;
}

function urlEnv(env: Env, name: string, required: true): string;
function urlEnv(env: Env, name: string, required: false): string | undefined;
function urlEnv(env: Env, name: string, required: boolean): string | undefined {
  const value = required ? requireEnv(env, name) : read(env, name);
  if (value === undefined) return undefined;
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL, got '${value}'`);
  }
  return value;
}

function topicArnEnv(env: Env, name: string): string {
  const value = requireEnv(env, name, 'an SNS topic ARN');
  if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]{1,256}$/.test(value)) {
    throw new ConfigError(
      `${name} must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>), got '${value}'`,
    );
  }
  return value;
}

/** An optional topic ARN: unset ⇒ `undefined`; set ⇒ validated like a required one. */
function optionalTopicArnEnv(env: Env, name: string): string | undefined {
  return read(env, name) === undefined ? undefined : topicArnEnv(env, name);
}

function intEnv(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

function regionEnv(env: Env): string {
  const region = read(env, 'AWS_REGION') ?? read(env, 'AWS_DEFAULT_REGION');
  if (!region)
    throw new ConfigError('AWS_REGION is not set (the region of the queue, topics and audit bucket)');
  if (!REGION_PATTERN.test(region)) throw new ConfigError(`AWS_REGION is not a region name: '${region}'`);
  return region;
}

function taskQueueEnv(env: Env): string {
  const queue = read(env, 'TEMPORAL_TASK_QUEUE') ?? 'remediation';
  if (!/^[\w.:/-]{1,200}$/.test(queue))
    throw new ConfigError(`TEMPORAL_TASK_QUEUE has invalid characters: '${queue}'`);
  return queue;
}

/** Settings shared by every command that talks to AWS. */
export interface AwsSettings {
  readonly region: string;
  /** `AWS_ENDPOINT_URL`, when every client is pointed at an emulator. */
  readonly endpoint?: string;
}

/** Where tickets go besides the audit trail (`TICKET_SINK`). Secrets stay here and in the sink, never in logs. */
export type TicketSinkConfig =
  | { readonly kind: 'sns'; readonly topicArn: string }
  | { readonly kind: 'webhook'; readonly url: string; readonly secret: string }
  | {
      readonly kind: 'jira';
      readonly baseUrl: string;
      readonly email: string;
      readonly apiToken: string;
      readonly projectKey: string;
      readonly issueType: string;
    };

/** Reads `TICKET_SINK` and the variables of the chosen sink. */
export function loadTicketSinkConfig(env: Env = process.env): TicketSinkConfig | undefined {
  const kind = read(env, 'TICKET_SINK');
  switch (kind) {
    case undefined:
    case 'audit':
      return undefined;
    case 'sns':
      return { kind, topicArn: topicArnEnv(env, 'TICKET_TOPIC_ARN') };
    case 'webhook': {
      const secret = requireEnv(env, 'TICKET_WEBHOOK_SECRET', 'the HMAC-SHA256 signing secret');
      if (secret.length < 16) throw new ConfigError('TICKET_WEBHOOK_SECRET must be at least 16 characters');
      return { kind, url: urlEnv(env, 'TICKET_WEBHOOK_URL', true), secret };
    }
    case 'jira': {
      const projectKey = requireEnv(env, 'JIRA_PROJECT_KEY');
      if (!/^[A-Z][A-Z0-9_]{1,9}$/.test(projectKey)) {
        throw new ConfigError(`JIRA_PROJECT_KEY must be a Jira project key such as SEC, got '${projectKey}'`);
      }
      return {
        kind,
        baseUrl: urlEnv(env, 'JIRA_BASE_URL', true),
        email: requireEnv(env, 'JIRA_EMAIL'),
        apiToken: requireEnv(env, 'JIRA_API_TOKEN'),
        projectKey,
        issueType: read(env, 'JIRA_ISSUE_TYPE') ?? 'Task',
      };
    }
    default:
      throw new ConfigError(`TICKET_SINK must be audit, sns, webhook or jira, got '${kind}'`);
  }
}

/** Settings of `remediator worker`. */
export interface WorkerConfig extends AwsSettings {
  readonly taskQueue: string;
  readonly notifyTopicArn: string;
  readonly oncallTopicArn: string;
  readonly auditBucket?: string;
  readonly temporalUiUrl: string;
  /** The policy file: the worker reads its `crossAccount` role (the ingest reads the rest). */
  readonly policyPath?: string;
  readonly ticketSink?: TicketSinkConfig;
  /**
   * `WORKFLOW_BUNDLE_PATH`: workflow code bundled ahead of time by `remediator bundle-workflows` (the container image
   * ships one); the worker loads it instead of bundling the workflows with webpack at every start. Absolute.
   */
  readonly workflowBundlePath?: string;
  /**
   * `WORKER_MAX_CACHED_WORKFLOWS`: how many executions the worker keeps in memory (its sticky cache) between their
   * workflow tasks. An execution evicted from it is replayed from its history at its next task (a signal, a timer, an
   * activity result), so the bound caps the worker's memory whatever the number of open executions (every
   * remediation stays open through its cool-down). Default `DEFAULT_MAX_CACHED_WORKFLOWS`; docs/operations.md,
   * Sizing, has the measured cost of each.
   */
  readonly maxCachedWorkflows: number;
}

/**
 * The default bound of the worker's sticky cache, chosen from docs/benchmarks.md §5: a cached execution holds about
 * 0.6 MiB, so 150 of them take ~90 MiB and keep the worker under 512 MiB however many executions are open, while an
 * evicted one replays its short history (30–40 events; continue-as-new caps long ones) in milliseconds when a signal,
 * timer or activity result reaches it.
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 150;

/** Settings of `remediator ingest`. */
export interface IngestConfig extends AwsSettings {
  readonly taskQueue: string;
  readonly queueUrl: string;
  /** Explicit dead-letter queue; otherwise taken from the queue's redrive policy. */
  readonly deadLetterQueueUrl?: string;
  readonly policyPath?: string;
  readonly waitTimeSeconds: number;
  readonly concurrency: number;
  /**
   * `ONCALL_TOPIC_ARN`, optional for the ingest: where a refused finding raises a security alert (docs/architecture.md,
   * Trust model). Without it, refusals are only dead-lettered and logged.
   */
  readonly oncallTopicArn?: string;
}

/** Settings of the CLI commands that only need the client side. */
export interface ClientConfig {
  readonly taskQueue: string;
  readonly policyPath?: string;
  readonly temporalUiUrl: string;
}

/**
 * The STS endpoint the worker replays signed operator decisions to (docs/architecture.md, Trust model and
 * Environment): `STS_VERIFY_ENDPOINT`, else the SDK-standard `AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`, else
 * `https://sts.<region>.amazonaws.com`. It comes from the worker's own configuration and never from a decision: a
 * presigned request proves only what the server that checks it says. SigV4 signs the host, so the CLI must sign for
 * this same endpoint.
 */
export function stsVerifyEndpoint(env: Env, region: string): string {
  if (!REGION_PATTERN.test(region)) throw new ConfigError(`AWS_REGION is not a region name: '${region}'`);
  return (
    urlEnv(env, 'STS_VERIFY_ENDPOINT', false) ??
    urlEnv(env, 'AWS_ENDPOINT_URL_STS', false) ??
    urlEnv(env, 'AWS_ENDPOINT_URL', false) ??
    defaultStsEndpoint(region)
  );
}

/** Reads the AWS region and endpoint override. */
export function loadAwsSettings(env: Env = process.env): AwsSettings {
  const endpoint = urlEnv(env, 'AWS_ENDPOINT_URL', false);
  return { region: regionEnv(env), ...(endpoint ? { endpoint } : {}) };
}

function bucketEnv(env: Env, name: string): string | undefined {
  const value = read(env, name);
  if (value !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value)) {
    throw new ConfigError(`${name} is not a valid S3 bucket name: '${value}'`);
  }
  return value;
}

/** An optional variable naming a file that must exist; returned as an absolute path. */
function fileEnv(env: Env, name: string, hint: string): string | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  const path = resolve(value);
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new ConfigError(`${name} names a file that does not exist: '${value}' (${hint})`);
    }
    throw new ConfigError(`${name} names a file that cannot be read: '${value}' (${code ?? String(err)})`);
  }
  if (!isFile) throw new ConfigError(`${name} must name a file, '${value}' is not one (${hint})`);
  return path;
}

/** Reads the worker's settings. */
export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  const auditBucket = bucketEnv(env, 'AUDIT_BUCKET');
  const policyPath = read(env, 'REMEDIATION_POLICY');
  const ticketSink = loadTicketSinkConfig(env);
  const workflowBundlePath = fileEnv(
    env,
    'WORKFLOW_BUNDLE_PATH',
    'build it with `remediator bundle-workflows --out <file>`, or unset it to bundle the workflows at start',
  );
  return {
    ...loadAwsSettings(env),
    taskQueue: taskQueueEnv(env),
    notifyTopicArn: topicArnEnv(env, 'NOTIFY_TOPIC_ARN'),
    oncallTopicArn: topicArnEnv(env, 'ONCALL_TOPIC_ARN'),
    ...(auditBucket ? { auditBucket } : {}),
    ...(policyPath ? { policyPath } : {}),
    ...(ticketSink ? { ticketSink } : {}),
    ...(workflowBundlePath ? { workflowBundlePath } : {}),
    temporalUiUrl: urlEnv(env, 'TEMPORAL_UI_URL', false) ?? 'http://localhost:8233',
    maxCachedWorkflows: intEnv(env, 'WORKER_MAX_CACHED_WORKFLOWS', DEFAULT_MAX_CACHED_WORKFLOWS, 1, 100_000),
  };
}

/** Reads the ingest bridge's settings. */
export function loadIngestConfig(env: Env = process.env): IngestConfig {
  const deadLetterQueueUrl = urlEnv(env, 'INGEST_DLQ_URL', false);
  const policyPath = read(env, 'REMEDIATION_POLICY');
  const oncallTopicArn = optionalTopicArnEnv(env, 'ONCALL_TOPIC_ARN');
  return {
    ...loadAwsSettings(env),
    taskQueue: taskQueueEnv(env),
    queueUrl: urlEnv(env, 'INGEST_QUEUE_URL', true),
    ...(deadLetterQueueUrl ? { deadLetterQueueUrl } : {}),
    ...(policyPath ? { policyPath } : {}),
    waitTimeSeconds: intEnv(env, 'INGEST_WAIT_TIME_SECONDS', 20, 0, 20),
    concurrency: intEnv(env, 'INGEST_CONCURRENCY', 10, 1, 10),
    ...(oncallTopicArn ? { oncallTopicArn } : {}),
  };
}

/** Reads what client-only commands (send-event, status, approve) need. */
export function loadClientConfig(env: Env = process.env): ClientConfig {
  const policyPath = read(env, 'REMEDIATION_POLICY');
  return {
    taskQueue: taskQueueEnv(env),
    ...(policyPath ? { policyPath } : {}),
    temporalUiUrl: urlEnv(env, 'TEMPORAL_UI_URL', false) ?? 'http://localhost:8233',
  };
}

/** Settings of the local stack (`dev`, `demo`) and the tests that start real servers. */
export interface DevStackConfig {
  /** The Temporal CLI binary built by `scripts/ensure-temporal.sh`. */
  readonly temporalCliPath: string;
  /** The moto server command. */
  readonly motoServerPath: string;
}

/** Reads where the local-stack binaries are; defaults match `scripts/ensure-*.sh`. */
export function loadDevStackConfig(env: Env = process.env): DevStackConfig {
  const cacheDir = read(env, 'REMEDIATOR_CACHE_DIR') ?? `${read(env, 'HOME') ?? '/tmp'}/.cache/remediator`;
  return {
    temporalCliPath: read(env, 'TEMPORAL_CLI_PATH') ?? `${cacheDir}/temporal-cli-v1.5.1/temporal`,
    motoServerPath: read(env, 'MOTO_SERVER_PATH') ?? 'moto_server',
  };
}

/**
 * Payload encryption (`PAYLOAD_ENCRYPTION_KEYS`, `PAYLOAD_ENCRYPTION_KEY_ID`, `PAYLOAD_KMS_KEY_ID`). Absent when none is
 * set: payloads are then plain JSON, as before. Key bytes are `SecretKey`s, which print as `[redacted]`.
 */
export interface PayloadEncryptionConfig {
  /** Keys from the environment, by id: all of them decode (rotation); `encodeKeyId` encodes unless KMS does. */
  readonly keys: ReadonlyMap<string, SecretKey>;
  /** The key new payloads are encrypted with (when `kmsKeyId` is not set). */
  readonly encodeKeyId?: string;
  /** KMS key (id, ARN or alias) under which a data key per process is generated (envelope encryption). */
  readonly kmsKeyId?: string;
}

/** Ids of payload keys: short, printable, safe in metadata and messages. */
const PAYLOAD_KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const KMS_KEY_ID_PATTERN =
  /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+|alias\/[A-Za-z0-9/_-]+|(mrk-)?[0-9a-f-]{32,36})$/;

/** Parses `<keyId>:<base64 32-byte key>,…`; errors name the variable and the entry, never the key. */
function payloadKeysEnv(env: Env, name: string): Map<string, SecretKey> {
  const keys = new Map<string, SecretKey>();
  const raw = read(env, name);
  if (raw === undefined) return keys;
  const entries = raw.split(',').map((e) => e.trim());
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    if (colon < 1) {
      throw new ConfigError(
        `${name} entry ${index + 1} must be <keyId>:<base64 32-byte key> (generate a key with \`openssl rand -base64 32\`)`,
      );
    }
    const id = entry.slice(0, colon);
    const encoded = entry.slice(colon + 1).trim();
    if (!PAYLOAD_KEY_ID_PATTERN.test(id)) {
      throw new ConfigError(
        `${name} entry ${index + 1}: key id '${id}' must be 1-64 letters, digits, '.', '_' or '-'`,
      );
    }
    if (keys.has(id)) throw new ConfigError(`${name}: key id '${id}' appears twice`);
    const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(encoded) ? Buffer.from(encoded, 'base64') : undefined;
    if (bytes?.length !== 32) {
      throw new ConfigError(
        `${name}: the key of '${id}' must be 32 bytes in base64 (\`openssl rand -base64 32\`), ` +
          (bytes ? `it decodes to ${bytes.length} bytes` : 'it is not base64'),
      );
    }
    keys.set(id, new SecretKey(bytes));
  });
  return keys;
}

/** Reads the payload encryption settings; `undefined` when encryption is off. */
export function loadPayloadEncryptionConfig(env: Env = process.env): PayloadEncryptionConfig | undefined {
  const keys = payloadKeysEnv(env, 'PAYLOAD_ENCRYPTION_KEYS');
  const chosen = read(env, 'PAYLOAD_ENCRYPTION_KEY_ID');
  const kmsKeyId = read(env, 'PAYLOAD_KMS_KEY_ID');
  if (kmsKeyId !== undefined && !KMS_KEY_ID_PATTERN.test(kmsKeyId)) {
    throw new ConfigError(
      `PAYLOAD_KMS_KEY_ID must be a KMS key id, key ARN, alias (alias/name) or alias ARN, got '${kmsKeyId}'`,
    );
  }
  if (chosen !== undefined) {
    if (kmsKeyId !== undefined) {
      throw new ConfigError(
        'PAYLOAD_ENCRYPTION_KEY_ID and PAYLOAD_KMS_KEY_ID are both set: with KMS, PAYLOAD_ENCRYPTION_KEYS only decode ' +
          'older payloads, so unset PAYLOAD_ENCRYPTION_KEY_ID',
      );
    }
    if (!keys.has(chosen)) {
      throw new ConfigError(
        keys.size === 0
          ? 'PAYLOAD_ENCRYPTION_KEY_ID is set but PAYLOAD_ENCRYPTION_KEYS is not'
          : `PAYLOAD_ENCRYPTION_KEY_ID '${chosen}' is not one of the key ids in PAYLOAD_ENCRYPTION_KEYS (${[...keys.keys()].join(', ')})`,
      );
    }
  }
  if (kmsKeyId !== undefined) return { keys, kmsKeyId };
  const [first] = keys.keys();
  if (first === undefined) return undefined;
  return { keys, encodeKeyId: chosen ?? first };
}

/** Settings of `remediator codec-server`. */
export interface CodecServerConfig {
  readonly encryption: PayloadEncryptionConfig;
  /** `CODEC_SERVER_TOKEN`: when set, every request must carry `Authorization: Bearer <token>`. */
  readonly token?: string;
}

/** Reads the codec server's settings: the payload keys are required, the bearer token optional. */
export function loadCodecServerConfig(env: Env = process.env): CodecServerConfig {
  const encryption = loadPayloadEncryptionConfig(env);
  if (!encryption) {
    throw new ConfigError(
      'PAYLOAD_ENCRYPTION_KEYS (or PAYLOAD_KMS_KEY_ID) is not set: the codec server needs the keys the worker encrypts with',
    );
  }
  const token = read(env, 'CODEC_SERVER_TOKEN');
  if (token !== undefined && token.length < 16) {
    throw new ConfigError('CODEC_SERVER_TOKEN must be at least 16 characters');
  }
  return { encryption, ...(token ? { token } : {}) };
}

/** Where the process's metrics go (docs/observability.md); all of it off unless set. */
export interface TelemetryConfig {
  /** Serve Prometheus metrics on this address (`METRICS_HOST`:`METRICS_PORT`); unset ⇒ no endpoint. */
  readonly prometheus?: { readonly host: string; readonly port: number };
  /** Export metrics over OTLP to this URL (from `OTEL_EXPORTER_OTLP_ENDPOINT`), when no Prometheus port is set. */
  readonly otlp?: { readonly url: string; readonly protocol: 'grpc' | 'http/protobuf' };
  /** Write the CloudWatch metrics as EMF lines on stdout (`METRICS_EMF=true`; the stacks set it). */
  readonly emf: boolean;
}

const OTLP_PROTOCOLS = ['grpc', 'http/protobuf'] as const;

/** The telemetry settings: `METRICS_PORT`, `METRICS_HOST`, `METRICS_EMF`, `OTEL_EXPORTER_OTLP_*`. */
export function loadTelemetryConfig(env: Env = process.env): TelemetryConfig {
  const port =
    read(env, 'METRICS_PORT') === undefined ? undefined : intEnv(env, 'METRICS_PORT', 0, 1, 65_535);
  const host = read(env, 'METRICS_HOST') ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:[\]-]{1,253}$/.test(host)) {
    throw new ConfigError(`METRICS_HOST must be a host name or address to bind, got '${host}'`);
  }
  const emfText = read(env, 'METRICS_EMF')?.toLowerCase() ?? 'false';
  if (emfText !== 'true' && emfText !== 'false') {
    throw new ConfigError(`METRICS_EMF must be true or false, got '${emfText}'`);
  }
  const protocol = read(env, 'OTEL_EXPORTER_OTLP_PROTOCOL') ?? 'http/protobuf';
  if (!(OTLP_PROTOCOLS as readonly string[]).includes(protocol)) {
    throw new ConfigError(`OTEL_EXPORTER_OTLP_PROTOCOL must be grpc or http/protobuf, got '${protocol}'`);
  }
  const endpoint = urlEnv(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', false);
  const metricsEndpoint = urlEnv(env, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', false);
  // The OpenTelemetry convention: the signal's own endpoint as it is; the general one with the signal's path (HTTP).
  const url =
    metricsEndpoint ??
    (endpoint === undefined
      ? undefined
      : protocol === 'grpc'
        ? endpoint
        : `${endpoint.replace(/\/+$/, '')}/v1/metrics`);
  return {
    ...(port !== undefined ? { prometheus: { host, port } } : {}),
    ...(port === undefined && url !== undefined
      ? { otlp: { url, protocol: protocol as (typeof OTLP_PROTOCOLS)[number] } }
      : {}),
    emf: emfText === 'true',
  };
}

/** The OTLP protocols traces can be exported with (docs/observability.md, Traces). */
export const TRACE_PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;

/** Where the process's traces go (docs/observability.md, Traces); none when tracing is off. */
export interface TracingConfig {
  /** The collector URL: the traces endpoint as given, or the general endpoint with `/v1/traces` over HTTP. */
  readonly url: string;
  readonly protocol: (typeof TRACE_PROTOCOLS)[number];
  /** `service.name` of every span: `OTEL_SERVICE_NAME`, else the process's own name. */
  readonly serviceName: string;
}

/**
 * The tracing settings, by the OpenTelemetry conventions: on when `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is set (unless `OTEL_TRACES_EXPORTER=none`); the protocol from
 * `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`, else `http/protobuf`; `service.name` from
 * `OTEL_SERVICE_NAME`, else `defaultServiceName` (`remediator-worker`, `remediator-ingest`, …).
 */
export function loadTracingConfig(
  defaultServiceName: string,
  env: Env = process.env,
): TracingConfig | undefined {
  const exporter = read(env, 'OTEL_TRACES_EXPORTER') ?? 'otlp';
  if (exporter !== 'otlp' && exporter !== 'none') {
    throw new ConfigError(`OTEL_TRACES_EXPORTER must be otlp or none, got '${exporter}'`);
  }
  const protocolVariable =
    read(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') === undefined
      ? 'OTEL_EXPORTER_OTLP_PROTOCOL'
      : 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL';
  const protocol = read(env, protocolVariable) ?? 'http/protobuf';
  if (!(TRACE_PROTOCOLS as readonly string[]).includes(protocol)) {
    throw new ConfigError(`${protocolVariable} must be ${TRACE_PROTOCOLS.join(', ')}; got '${protocol}'`);
  }
  const endpoint = urlEnv(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', false);
  const tracesEndpoint = urlEnv(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', false);
  const serviceName = read(env, 'OTEL_SERVICE_NAME') ?? defaultServiceName;
  if (exporter === 'none') return undefined;
  // The signal's own endpoint as it is; the general one with the signal's path over HTTP (gRPC has no paths).
  const url =
    tracesEndpoint ??
    (endpoint === undefined
      ? undefined
      : protocol === 'grpc'
        ? endpoint
        : `${endpoint.replace(/\/+$/, '')}/v1/traces`);
  if (url === undefined) return undefined;
  return { url, protocol: protocol as TracingConfig['protocol'], serviceName };
}
