/**
 * Facts about the machine a figure was measured on.
 */
import { cpus, loadavg, release, totalmem } from 'node:os';

/** CPU, memory, Node and load at the time of measuring. */
export interface MachineFacts {
  readonly cpuCount: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly kernel: string;
  /** 1-minute load average when the section started (other work on the machine shows here). */
  readonly loadAverage1m: number;
}

/** The facts now. */
export function machineFacts(): MachineFacts {
  const list = cpus();
  return {
    cpuCount: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    kernel: `${process.platform} ${release()}`,
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}
