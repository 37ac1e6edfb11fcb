/**
 * A TCP proxy on 127.0.0.1 that can be switched off and on: a real network outage between a client and Temporal.
 */
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

/** A switchable proxy. */
export interface TcpProxy {
  readonly address: string;
  up(): Promise<void>;
  down(): Promise<void>;
}

/** Proxies `127.0.0.1:<port>` to `target` ("host:port"); starts down. */
export async function createTcpProxy(target: string, port: number): Promise<TcpProxy> {
  const [host, targetPort] = target.split(':');
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  return {
    address: `127.0.0.1:${port}`,
    up: () =>
      new Promise((resolve, reject) => {
        server = createServer((client) => {
          const upstream = connect(Number(targetPort), host ?? '127.0.0.1');
          sockets.add(client).add(upstream);
          client.pipe(upstream).pipe(client);
          const drop = (): void => {
            client.destroy();
            upstream.destroy();
          };
          client.on('error', drop).on('close', drop);
          upstream.on('error', drop).on('close', drop);
        });
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      }),
    down: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        sockets.clear();
        if (!server) return resolve();
        server.close(() => resolve());
        server = undefined;
      }),
  };
}
