/**
 * Temporal connections from `@temporalio/envconfig` (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
 * TEMPORAL_TLS_*, TEMPORAL_PROFILE and TOML profiles), so the same binary runs against the dev server and Temporal
 * Cloud. With payload encryption configured (`PAYLOAD_ENCRYPTION_KEYS` or `PAYLOAD_KMS_KEY_ID`) the target carries the
 * encrypting data converter, and every client and worker built from it uses it. While the process traces
 * (docs/observability.md, Traces), every client built here carries Temporal's tracing interceptor: its calls are spans,
 * and their context reaches the workflows in headers.
 */
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection } from '@temporalio/worker';
import { loadPayloadEncryptionConfig } from '../config';
import { clientTracingInterceptors } from '../telemetry/temporal-tracing';
import { encryptionDataConverter } from './codec';

/** Where and how to connect, as envconfig resolved it. */
export interface TemporalTarget {
  readonly connectionOptions: ReturnType<typeof loadClientConnectConfig>['connectionOptions'];
  readonly namespace: string;
  /** The encrypting data converter when payload encryption is configured; absent means plain JSON payloads. */
  readonly dataConverter?: DataConverter;
}

/**
 * Resolves the connection settings (dev-server defaults: localhost:7233, namespace `default`) and the payload
 * encryption settings (one codec per call: share the target between a process's client and worker).
 */
export function temporalTarget(): TemporalTarget {
  const config = loadClientConnectConfig();
  const address = config.connectionOptions.address ?? 'localhost:7233';
  const dataConverter = encryptionDataConverter(loadPayloadEncryptionConfig());
  return {
    connectionOptions: { ...config.connectionOptions, address },
    namespace: config.namespace ?? 'default',
    ...(dataConverter ? { dataConverter } : {}),
  };
}

/** Options for the client-side `Connection` (same fields as the native one). */
function clientOptions(target: TemporalTarget): Parameters<typeof Connection.connect>[0] {
  const { address, tls, apiKey, metadata } = target.connectionOptions;
  return {
    address,
    ...(tls !== undefined ? { tls } : {}),
    ...(typeof apiKey === 'string' ? { apiKey } : {}),
    ...(metadata ? { metadata } : {}),
  };
}

/**
 * A client that connects now (fails if the server does not answer). `identity` is what the server records as the
 * caller in history events (the CLI passes the operator's).
 */
export async function connectClient(target = temporalTarget(), identity?: string): Promise<Client> {
  const connection = await Connection.connect(clientOptions(target));
  const interceptors = clientTracingInterceptors();
  return new Client({
    connection,
    namespace: target.namespace,
    ...(identity ? { identity } : {}),
    ...(target.dataConverter ? { dataConverter: target.dataConverter } : {}),
    ...(interceptors ? { interceptors } : {}),
  });
}

/** A client that connects on first use: for the ingest bridge, which must start while Temporal is down. */
export function lazyClient(target = temporalTarget()): Client {
  const connection = Connection.lazy(clientOptions(target));
  const interceptors = clientTracingInterceptors();
  return new Client({
    connection,
    namespace: target.namespace,
    ...(target.dataConverter ? { dataConverter: target.dataConverter } : {}),
    ...(interceptors ? { interceptors } : {}),
  });
}

/** Resolves when the server answers within `timeoutMs`. */
export async function checkReachable(client: Client, timeoutMs = 5000): Promise<void> {
  await client.connection.withDeadline(Date.now() + timeoutMs, () =>
    client.connection.workflowService.getSystemInfo({}),
  );
}

/** The worker's native connection. */
export async function connectWorker(target = temporalTarget()): Promise<NativeConnection> {
  return NativeConnection.connect(target.connectionOptions);
}
