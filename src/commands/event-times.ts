/**
 * Sample events as a detector would send them now (docs/observability.md, MTTR): every timestamp in the event's
 * detail moves by the same amount as its `time` does to the present, so the detector's observation keeps its distance
 * before the event. Without it the time from observation to fix of a sample event would read as weeks.
 */

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})$/;

function shift(value: unknown, deltaMs: number): unknown {
  if (typeof value === 'string') {
    if (!ISO_TIME.test(value)) return value;
    const ms = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    return Number.isFinite(ms) ? new Date(ms + deltaMs).toISOString() : value;
  }
  if (Array.isArray(value)) return value.map((v) => shift(v, deltaMs));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shift(v, deltaMs)]));
  }
  return value;
}

/** `event` with `time` set to `nowMs` and its detail's timestamps moved by as much; unchanged without a `time`. */
export function withDetectorTimesNow<E extends { time?: unknown; detail?: unknown }>(
  event: E,
  nowMs = Date.now(),
): E {
  const sent = typeof event.time === 'string' ? Date.parse(event.time) : NaN;
  if (!Number.isFinite(sent)) return event;
  const deltaMs = nowMs - sent;
  return { ...event, time: new Date(nowMs).toISOString(), detail: shift(event.detail, deltaMs) };
}
