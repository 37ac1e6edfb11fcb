/**
 * moto in server mode on 127.0.0.1: the AWS APIs the tests and the local stack use.
 */
import { existsSync } from 'node:fs';
import { startOnFreePort, startProcess, waitUntilReady } from './processes';
import type { ServerProcess } from './processes';

/** A running moto server. */
export interface MotoServer {
  readonly endpoint: string;
  /** The server's process id (the benchmark reads its CPU time). */
  readonly pid?: number;
  /** Wipes every resource (`POST /moto-api/reset`). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts moto and waits until it answers. */
export async function startMoto(command: string, port?: number): Promise<MotoServer> {
  if (command.includes('/') && !existsSync(command)) {
    throw new Error(`moto_server not found at ${command}: run 'bash scripts/ensure-moto.sh'`);
  }
  const { server, endpoint } = await startOnFreePort(async (chosen) => {
    const endpoint = `http://127.0.0.1:${chosen}`;
    const server: ServerProcess = startProcess(
      command,
      ['-H', '127.0.0.1', '-p', String(chosen)],
      'moto_server',
    );
    await waitUntilReady(
      server,
      'moto_server',
      async () => (await fetch(`${endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(2000) })).ok,
      30_000,
    );
    return { server, endpoint };
  }, port);
  return {
    endpoint,
    ...(server.child.pid !== undefined ? { pid: server.child.pid } : {}),
    reset: async () => {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status}`);
    },
    stop: () => server.stop(),
  };
}
