/**
 * Helpers to start local servers as child processes and wait until they answer.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A started server process. */
export interface ServerProcess {
  readonly child: ChildProcess;
  /** Last lines the process printed, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Servers this process started that are still running: killed when it exits, however it exits. */
const running = new Set<ChildProcess>();
let killOnExitInstalled = false;

/**
 * SIGKILLs every server still running when this process exits, so that a test run that ends early (a failed
 * set-up, Jest's `--forceExit`, an uncaught error) leaves no dev server or moto behind holding ports and keeping
 * the parent's pipes open.
 */
function killOnExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (killOnExitInstalled) return;
  killOnExitInstalled = true;
  process.once('exit', () => {
    for (const leftover of running) leftover.kill('SIGKILL');
  });
}

/** Spawns a server, keeping the tail of its output. */
export function startProcess(command: string, args: string[], name: string): ServerProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(child);
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (err) => {
    tail += `\n${name} failed to start: ${err.message}`;
  });
  return {
    child,
    output: () => tail,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Polls `probe` until it resolves true, the process exits, or `timeoutMs` passes; throws with the output. */
export async function waitUntilReady(
  server: ServerProcess,
  name: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) {
      if (isPortClash(server.output())) throw new PortClashError(name, server.output());
      throw new Error(
        `${name} exited with code ${server.child.exitCode} before it was ready:\n${server.output()}`,
      );
    }
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  await server.stop();
  throw new Error(`${name} did not answer within ${timeoutMs} ms:\n${server.output()}`);
}

/** `preferred` when it is free on 127.0.0.1, otherwise any free port. */
export async function preferPort(preferred: number): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(freePort()));
    server.listen(preferred, '127.0.0.1', () => server.close(() => resolve(preferred)));
  });
}

/** True when a server's output says a port it wanted was taken. */
export function isPortClash(output: string): boolean {
  return /address already in use|port \d+ is in use|EADDRINUSE/i.test(output);
}

/**
 * A server exited because a port it was given (or picked for itself) was taken meanwhile: the port was free when
 * {@link freePort} asked, but another process bound it before the server did. Starting again on another port helps.
 */
export class PortClashError extends Error {
  constructor(name: string, output: string) {
    super(`${name} could not bind its port (taken after it was chosen):\n${output}`);
    this.name = 'PortClashError';
  }
}

/**
 * Starts a server on a free port, and again on another one when the port was taken between choosing and binding
 * (a race with any other process on the machine, including servers started beside it). With `fixedPort` there is
 * one attempt: the caller needs that port.
 */
export async function startOnFreePort<T>(
  start: (port: number) => Promise<T>,
  fixedPort?: number,
  attempts = 5,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ?? (await freePort());
    try {
      return await start(port);
    } catch (err) {
      if (!(err instanceof PortClashError) || fixedPort !== undefined || attempt >= attempts) throw err;
    }
  }
}

/**
 * Starts things side by side (servers, a test environment, a bundle) and returns them all; when one fails, the
 * ones that did start are stopped (`stop()`, or `teardown()` for a Temporal test environment) before the first
 * failure is rethrown, so that a failed start leaves nothing running behind it.
 */
export async function startTogether<T extends readonly unknown[]>(starts: {
  readonly [K in keyof T]: Promise<T[K]>;
}): Promise<T> {
  const settled = await Promise.allSettled(starts as readonly Promise<unknown>[]);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (!failed) {
    return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
  }
  await Promise.all(settled.map((s) => (s.status === 'fulfilled' ? release(s.value) : Promise.resolve())));
  throw failed.reason;
}

/** Stops whatever {@link startTogether} started, ignoring a failure to stop (the start failure matters more). */
async function release(started: unknown): Promise<void> {
  const handle = started as { stop?: () => Promise<unknown>; teardown?: () => Promise<unknown> } | null;
  const stop = handle?.stop ?? handle?.teardown;
  await stop?.call(handle).catch(() => undefined);
}
