/**
 * The Temporal runtime's logger for `remediator worker`: the SDK's own line format on stderr (workflow and activity
 * logs with their workflow ids, the worker's lifecycle, core's warnings), passed through `redactLogText` so an access
 * key id in a workflow id or a finding never reaches a log line whole. Activity task tokens are left out: they embed
 * the workflow id in base64, out of the redaction's reach, and can complete the activity.
 */
import { inspect } from 'node:util';
import { SdkComponent } from '@temporalio/common';
import { DefaultLogger } from '@temporalio/worker';
import type { LogEntry, LogLevel } from '@temporalio/worker';
import { redactLogText } from '../logger';
import { activeTraceFields } from '../telemetry/trace-fields';

/**
 * Formats one entry as the SDK's default logger does (time, level, message, metadata on one line). Workflow and
 * activity lines carry their span's `trace_id` and `span_id` from Temporal's tracing interceptors; any other line of
 * ours or the worker's written while a span is active gets the active one's. Core's lines are forwarded later, out of
 * the context they were written in, so they get none.
 */
function formatEntry({ level, message, meta, timestampNanos }: LogEntry): string {
  const time = new Date(Number(timestampNanos / 1_000_000n)).toISOString();
  const traced = meta?.trace_id !== undefined || meta?.sdkComponent === SdkComponent.core;
  const shown: Record<string, unknown> = { ...meta, ...(traced ? {} : activeTraceFields()) };
  delete shown.taskToken;
  const rest =
    Object.keys(shown).length === 0
      ? ''
      : ` ${inspect(shown, { breakLength: Infinity, depth: 6, colors: false })}`;
  return `${time} [${level}] ${message}${rest}`;
}

/** A `DefaultLogger` at `level` whose every line is redacted. */
export function redactingRuntimeLogger(level: LogLevel = 'INFO'): DefaultLogger {
  return new DefaultLogger(level, (entry) => {
    process.stderr.write(`${redactLogText(formatEntry(entry))}\n`);
  });
}
