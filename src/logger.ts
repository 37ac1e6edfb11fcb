/**
 * Structured JSON logs for everything outside workflow and activity code (which use Temporal's loggers).
 */
import { activeTraceFields } from './telemetry/trace-fields';

/** Minimal structured logger. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** AWS access key ids (long-term `AKIA…`, temporary `ASIA…`); a GuardDuty key finding's workflow id carries one. */
const ACCESS_KEY_ID = /(AKIA|ASIA)[A-Z0-9]{4,120}([A-Z0-9]{4})(?![A-Z0-9])/g;

/**
 * What a log line may show of secrets-adjacent values: access key ids keep their prefix and last four characters
 * (`AKIA****WXYZ`, as the AWS console shows them), enough to tell keys apart without recording one.
 */
export function redactLogText(text: string): string {
  return text.replace(ACCESS_KEY_ID, '$1****$2');
}

type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * One JSON object per line on stderr (stdout stays free for command output). A line written while a span is active
 * (a traced message, activity) carries its `trace_id` and `span_id` (docs/observability.md, Traces).
 */
export function jsonLogger(component: string, minLevel: Level = 'info'): Logger {
  const write = (level: Level, message: string, fields: Record<string, unknown> = {}): void => {
    if (ORDER[level] < ORDER[minLevel]) return;
    const line = {
      time: new Date().toISOString(),
      level,
      component,
      message,
      ...activeTraceFields(),
      ...fields,
    };
    process.stderr.write(`${redactLogText(JSON.stringify(line))}\n`);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

/** A logger that drops everything (tests that assert on behaviour, not logs). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
