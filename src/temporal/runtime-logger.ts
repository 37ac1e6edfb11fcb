/**
 * The Temporal runtime's logger for `remediator worker`: the SDK's own line format on stderr (workflow and activity
 * logs with their workflow ids, the worker's lifecycle, core's warnings), passed through `redactLogText` so an access
 * key id in a workflow id or a finding never reaches a log line whole. Activity task tokens are left out: they embed
 * the workflow id in base64, out of the redaction's reach, and can complete the activity.
 */
import { inspect } from 'node:util';
import { DefaultLogger } from '@temporalio/worker';
import type { LogEntry, LogLevel } from '@temporalio/worker';
import { redactLogText } from '../logger';

/** Formats one entry as the SDK's default logger does (time, level, message, metadata on one line). */
function formatEntry({ level, message, meta, timestampNanos }: LogEntry): string {
  const time = new Date(Number(timestampNanos / 1_000_000n)).toISOString();
  const shown = { ...meta };
  delete shown.taskToken;
  const rest =
    meta === undefined ? '' : ` ${inspect(shown, { breakLength: Infinity, depth: 6, colors: false })}`;
  return `${time} [${level}] ${message}${rest}`;
}

/** A `DefaultLogger` at `level` whose every line is redacted. */
export function redactingRuntimeLogger(level: LogLevel = 'INFO'): DefaultLogger {
  return new DefaultLogger(level, (entry) => {
    process.stderr.write(`${redactLogText(formatEntry(entry))}\n`);
  });
}
