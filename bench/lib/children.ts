/**
 * Child processes of the benchmark (the worker under test, the floor worker) and the clean-up of everything the run
 * started: every stop function is registered here, so a finished run, a failure and Ctrl-C all end the same way.
 * Only processes this run spawned are ever signalled, each by its own pid.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { progress } from './progress';

/** A spawned process with its output going to a log file. */
export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  readonly process: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** The last lines of its log, for error messages. */
  tail(): string;
}

const cleanups = new Map<number, { what: string; fn: () => Promise<void> }>();
let nextCleanup = 0;

/** Registers an async clean-up step; returns a function that unregisters it (call it after a normal stop). */
export function onCleanup(what: string, fn: () => Promise<void>): () => void {
  const id = nextCleanup++;
  cleanups.set(id, { what, fn });
  return () => {
    cleanups.delete(id);
  };
}

/** Runs every registered clean-up, newest first, each bounded by `timeoutMs`. */
export async function cleanupAll(timeoutMs = 15_000): Promise<void> {
  const steps = [...cleanups.entries()].reverse();
  cleanups.clear();
  for (const [, step] of steps) {
    await Promise.race([
      step.fn().catch((err: unknown) => progress(`clean-up of ${step.what} failed: ${String(err)}`)),
      new Promise((r) => setTimeout(r, timeoutMs).unref()),
    ]);
  }
}

/** SIGKILLs the direct children of this process that are still alive (last resort on `exit`, synchronous). */
export function killChildrenSync(): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const ppid = /^PPid:\s+(\d+)/m.exec(status)?.[1];
      if (ppid === String(process.pid)) process.kill(Number(entry), 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
}

/** Spawns `command args` with `env` added to ours; stdout and stderr go to `logPath`. */
export function spawnChild(
  name: string,
  command: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  logPath: string,
): Child {
  const log = createWriteStream(logPath, { flags: 'w' });
  const child = spawn(command, [...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${name} (${command})`);
  let tail = '';
  const keep = (chunk: Buffer): void => {
    log.write(chunk);
    tail = (tail + chunk.toString()).slice(-3000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      log.end();
      resolve(code);
    });
  });
  const stop = async (graceMs = 10_000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  const unregister = onCleanup(name, stop);
  void exited.then(unregister);
  return { name, pid: child.pid, logPath, process: child, exited, stop, tail: () => tail };
}

/** Resident set size of a process in KiB (`VmRSS` of /proc/<pid>/status), and its peak (`VmHWM`). */
export function residentKiB(pid: number): { rssKiB: number; peakKiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rssKiB: field('VmRSS'), peakKiB: field('VmHWM') };
}
