/**
 * Tells a message-specific Temporal rejection from an outage. Only a rejection of the request itself
 * (`INVALID_ARGUMENT`) is the message's fault and dead-letters it; anything else (unreachable, timeouts, permission
 * or namespace problems) is treated as an outage: the bridge keeps the message and backs off, so nothing is lost.
 * Throttling (`RESOURCE_EXHAUSTED`, a namespace over its rate limit) is such an outage, told apart for the logs and
 * counters and because the server answers: nothing needs probing.
 */

const INVALID_ARGUMENT = 3;
const RESOURCE_EXHAUSTED = 8;

function grpcCode(err: unknown): number | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True when Temporal rejected this particular request as malformed. */
export function isRequestRejected(err: unknown): boolean {
  return grpcCode(err) === INVALID_ARGUMENT;
}

/** True when Temporal throttled the request (`RESOURCE_EXHAUSTED`). */
export function isThrottled(err: unknown): boolean {
  return grpcCode(err) === RESOURCE_EXHAUSTED;
}
