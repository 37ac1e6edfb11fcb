/**
 * CPU time of the processes a benchmark phase keeps busy: the Temporal dev server and moto (from /proc/<pid>/stat)
 * and the bench process itself (the bridge and the clients run in it). On two shared cores, CPU per event, not wall
 * time, says which part a rate is made of.
 */
import { readFileSync } from 'node:fs';

/** CPU milliseconds so far, by process. */
export interface CpuSample {
  readonly temporal: number;
  readonly moto: number;
  readonly node: number;
  /** A worker process, when the phase has one. */
  readonly worker?: number;
}

/** Linux reports utime and stime in clock ticks: 100 per second on every architecture Node supports here. */
const TICKS_PER_SECOND = 100;

function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces, so split after its closing parenthesis).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN; // not Linux, or the process is gone
  }
}

/** Samples the CPU time of the server processes and this one. */
export function cpuSample(pids: { temporal?: number; moto?: number; worker?: number }): CpuSample {
  const own = process.cpuUsage();
  return {
    temporal: processCpuMs(pids.temporal),
    moto: processCpuMs(pids.moto),
    node: (own.user + own.system) / 1000,
    ...(pids.worker !== undefined ? { worker: processCpuMs(pids.worker) } : {}),
  };
}

/** The sum of a sample's processes (a missing worker counts 0), rounded to 0.1 ms. */
export function cpuTotal(c: CpuSample): number {
  return Math.round((c.temporal + c.moto + c.node + (c.worker ?? 0)) * 10) / 10;
}

/** CPU milliseconds per event between two samples, rounded to 0.1 ms. */
export function cpuPerEvent(before: CpuSample, after: CpuSample, events: number): CpuSample {
  const per = (a: number, b: number) => Math.round(((b - a) / events) * 10) / 10;
  return {
    temporal: per(before.temporal, after.temporal),
    moto: per(before.moto, after.moto),
    node: per(before.node, after.node),
    ...(before.worker !== undefined && after.worker !== undefined
      ? { worker: per(before.worker, after.worker) }
      : {}),
  };
}

/**
 * A markdown table of CPU per event by process, one row per labelled sample; with `perSecond`, a last column of the
 * cores that rate takes.
 */
export function cpuTable(
  columns: { readonly node: string; readonly worker?: boolean },
  rows: ReadonlyArray<readonly [string, CpuSample]>,
  perSecond?: number,
): string[] {
  const cell = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '–' : String(x));
  const head = ['Temporal server', 'moto', columns.node, ...(columns.worker ? ['worker'] : []), 'total'];
  if (perSecond !== undefined) head.push('cores busy');
  return [
    `| | ${head.join(' | ')} |`,
    `| --- |${head.map(() => ' ---: |').join('')}`,
    ...rows.map(([label, c]) => {
      const total = cpuTotal(c);
      const cells = [c.temporal, c.moto, c.node, ...(columns.worker ? [c.worker] : []), total].map(cell);
      if (perSecond !== undefined) cells.push(String(Math.round((total * perSecond) / 10) / 100));
      return `| ${label} | ${cells.join(' | ')} |`;
    }),
  ];
}
