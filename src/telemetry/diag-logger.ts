/**
 * The OpenTelemetry SDK's own diagnostics (a failed export, a full span queue) as our log lines, warnings and errors
 * only: without it the SDK drops them silently and a misconfigured collector would go unnoticed
 * (docs/observability.md, Traces).
 */
import { context, diag, DiagLogLevel, ROOT_CONTEXT } from '@opentelemetry/api';
import type { DiagLogFunction } from '@opentelemetry/api';
import type { Logger } from '../logger';

/** Sends the SDK's warnings and errors to `logger`. */
export function routeDiagnostics(logger: Logger): void {
  const line =
    (write: Logger['warn']): DiagLogFunction =>
    (message, ...args) =>
      // Out of any span: an export runs in the context of the span that started its batch, not for that span.
      context.with(ROOT_CONTEXT, () =>
        write(`OpenTelemetry: ${describe(message)}`, args.length > 0 ? { details: args.map(describe) } : {}),
      );
  const ignore: DiagLogFunction = () => undefined;
  diag.setLogger(
    { error: line(logger.error), warn: line(logger.warn), info: ignore, debug: ignore, verbose: ignore },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
}

/**
 * A diagnostic as text: errors by name and message (their stacks say nothing an operator can act on), including the
 * JSON the SDK's error handler makes of an error.
 */
export function describe(arg: unknown): string {
  if (arg instanceof Error) return `${arg.name}: ${arg.message}`;
  if (typeof arg === 'string') {
    if (!arg.startsWith('{')) return arg;
    try {
      const parsed = JSON.parse(arg) as { name?: unknown; message?: unknown };
      if (typeof parsed.message === 'string') {
        return `${typeof parsed.name === 'string' ? parsed.name : 'Error'}: ${parsed.message}`;
      }
    } catch {
      // Not JSON after all: shown as it is.
    }
    return arg;
  }
  try {
    return JSON.stringify(arg);
  } catch {
    return String(arg);
  }
}
