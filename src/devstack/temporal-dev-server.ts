/**
 * The real Temporal CLI dev server (built by `scripts/ensure-temporal.sh` from the Go module proxy), with our search
 * attributes registered. The Web UI is on when run by hand and off in tests.
 */
import { existsSync } from 'node:fs';
import { Connection } from '@temporalio/client';
import { REQUIRED_SEARCH_ATTRIBUTES } from '../domain/search-attributes';
import { freePort, startOnFreePort, startProcess, waitUntilReady } from './processes';

/** A running dev server. */
export interface TemporalDevServer {
  readonly address: string;
  readonly uiUrl?: string;
  readonly namespace: string;
  /** The server's process id (the benchmark reads its CPU time). */
  readonly pid?: number;
  stop(): Promise<void>;
  /** SIGKILL, as a crash would, resolving when the process is gone (its database file survives). */
  kill(): Promise<void>;
}

/** `--search-attribute` flags for every attribute docs/architecture.md names (Search attributes). */
export function searchAttributeFlags(): string[] {
  return REQUIRED_SEARCH_ATTRIBUTES.flatMap((key) => [
    '--search-attribute',
    `${key.name}=${key.type === 'DOUBLE' ? 'Double' : 'Keyword'}`,
  ]);
}

/** Starts `temporal server start-dev` and waits until it answers. */
export async function startTemporalDevServer(options: {
  binary: string;
  port?: number;
  uiPort?: number;
  headless?: boolean;
  dbFile?: string;
}): Promise<TemporalDevServer> {
  if (!existsSync(options.binary)) {
    throw new Error(
      `Temporal CLI not found at ${options.binary}: run 'bash scripts/ensure-temporal.sh' first`,
    );
  }
  const { server, address, uiPort } = await startOnFreePort(async (port) => {
    const uiPort = options.uiPort ?? (await freePort());
    const args = [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--namespace',
      'default',
      '--log-level',
      'warn',
      ...searchAttributeFlags(),
      ...(options.headless ? ['--headless'] : ['--ui-port', String(uiPort)]),
      ...(options.dbFile ? ['--db-filename', options.dbFile] : []),
    ];
    const server = startProcess(options.binary, args, 'temporal dev server');
    const address = `127.0.0.1:${port}`;
    await waitUntilReady(
      server,
      'temporal dev server',
      async () => {
        const connection = await Connection.connect({ address, connectTimeout: 1000 });
        try {
          // A deadline: whatever else answers on the port must not hold the probe.
          await connection.withDeadline(Date.now() + 2000, () =>
            connection.workflowService.getSystemInfo({}),
          );
          return true;
        } finally {
          await connection.close();
        }
      },
      60_000,
    );
    return { server, address, uiPort };
  }, options.port);
  return {
    address,
    ...(server.child.pid !== undefined ? { pid: server.child.pid } : {}),
    ...(options.headless ? {} : { uiUrl: `http://127.0.0.1:${uiPort}` }),
    namespace: 'default',
    stop: () => server.stop(),
    kill: () =>
      new Promise<void>((resolve) => {
        if (server.child.exitCode !== null || server.child.signalCode !== null) return resolve();
        server.child.once('exit', () => resolve());
        server.child.kill('SIGKILL');
      }),
  };
}
