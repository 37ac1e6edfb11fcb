/**
 * Starting the local servers survives what CI met: a port taken between choosing it and binding it, one of two
 * servers failing while the other started, and a test process that ends while servers still run. Real moto, real
 * occupied ports, real child processes.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { loadDevStackConfig } from '../../src/config';
import { startMoto } from '../../src/devstack/moto-server';
import { startTemporalDevServer } from '../../src/devstack/temporal-dev-server';
import {
  freePort,
  isPortClash,
  PortClashError,
  startOnFreePort,
  startTogether,
} from '../../src/devstack/processes';

const ROOT = join(__dirname, '../..');

/** 'running', or 'gone' when the process no longer exists or is a zombie waiting to be reaped. */
function runningState(pid: number): 'running' | 'gone' {
  try {
    const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return state === 'Z' || state === 'X' ? 'gone' : 'running';
  } catch {
    return 'gone';
  }
}

/** Holds a port on 127.0.0.1, as another program would (accepting connections and never answering). */
async function occupy(): Promise<{ port: number; release(): void }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    release: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

it('moto on a port another program holds fails as a port clash, with what moto printed', async () => {
  const taken = await occupy();
  try {
    const failure = await startMoto(loadDevStackConfig().motoServerPath, taken.port).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PortClashError);
    expect(String((failure as Error).message)).toMatch(/in use/i);
  } finally {
    taken.release();
  }
});

it('the Temporal dev server on a port another program holds fails as a port clash, without waiting a minute', async () => {
  const taken = await occupy();
  const started = Date.now();
  try {
    const failure = await startTemporalDevServer({
      binary: loadDevStackConfig().temporalCliPath,
      port: taken.port,
      headless: true,
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PortClashError);
    expect(Date.now() - started).toBeLessThan(30_000);
  } finally {
    taken.release();
  }
});

it('a start that loses its port to another program is tried again on another port, and a fixed port is not', async () => {
  const taken = await occupy();
  const tried: number[] = [];
  try {
    const port = await startOnFreePort(async (p) => {
      tried.push(p);
      if (tried.length === 1) throw new PortClashError('server', `Port ${taken.port} is in use`);
      return p;
    });
    expect(tried).toHaveLength(2);
    expect(port).toBe(tried[1]);

    tried.length = 0;
    const fixed = await startOnFreePort(async (p) => {
      tried.push(p);
      throw new PortClashError('server', 'address already in use');
    }, taken.port).catch((e: unknown) => e);
    expect(fixed).toBeInstanceOf(PortClashError);
    expect(tried).toEqual([taken.port]);

    // Any other failure is not a clash: one attempt, rethrown as it was.
    tried.length = 0;
    const other = await startOnFreePort(async (p) => {
      tried.push(p);
      throw new Error('moto_server not found');
    }).catch((e: unknown) => e);
    expect((other as Error).message).toBe('moto_server not found');
    expect(tried).toHaveLength(1);
  } finally {
    taken.release();
  }
});

it('recognises the clash messages of moto, the Temporal CLI and Node', () => {
  expect(isPortClash('Port 38415 is in use by another program.')).toBe(true);
  expect(isPortClash('listen tcp 127.0.0.1:7233: bind: address already in use')).toBe(true);
  expect(isPortClash('Error: listen EADDRINUSE: address already in use')).toBe(true);
  expect(isPortClash('ModuleNotFoundError: No module named moto')).toBe(false);
});

it('when one of two servers fails to start, the one that started is stopped and the failure is thrown', async () => {
  const taken = await occupy();
  try {
    const motoPath = loadDevStackConfig().motoServerPath;
    let stopped = 0;
    const started = startMoto(motoPath).then((moto) => ({
      ...moto,
      stop: async () => {
        stopped++;
        await moto.stop();
      },
    }));
    const failure = await startTogether([started, startMoto(motoPath, taken.port)]).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PortClashError);
    expect(stopped).toBe(1);
    // The one that started no longer answers.
    const { endpoint } = await started;
    await expect(fetch(`${endpoint}/moto-api/data.json`)).rejects.toThrow();
  } finally {
    taken.release();
  }
});

it('a process that exits while its servers run leaves none of them running', async () => {
  // A child that starts a long-running server and exits at once (as Jest's --forceExit or a crash would).
  const script = [
    "const { startProcess } = require('./src/devstack/processes.ts');",
    "const server = startProcess('sleep', ['300'], 'sleeper');",
    'console.log(server.child.pid);',
    'setTimeout(() => process.exit(0), 200);',
  ].join('\n');
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(code).toBe(0);
  const pid = Number(out.trim());
  expect(pid).toBeGreaterThan(0);
  // Give the kill a moment to land, then look for the process.
  await new Promise((r) => setTimeout(r, 200));
  expect(runningState(pid)).toBe('gone');
});

it('freePort gives a port nothing listens on', async () => {
  const port = await freePort();
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(port, '127.0.0.1', resolve);
  });
  probe.close();
});
