/**
 * Formatting shared by the report's renderers (docs/report.md): durations for people, and text from findings made
 * safe for a terminal. Pure.
 */

/** A duration for people: `850ms`, `12.3s`, `4m 05s`, `3h 12m`, `16d 13h`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${pad(Math.floor(s % 60))}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${pad(m % 60)}m`;
  return `${Math.floor(h / 24)}d ${pad(h % 24)}h`;
}

/**
 * Text from a finding or a payload as one terminal line: control characters (escape sequences could move the cursor
 * or recolour the screen: resource ids and reasons are attacker-influenced) become `?`, and long text is cut.
 */
export function terminalText(text: string, max = 120): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** An ISO time as `YYYY-MM-DD HH:MM:SSZ` (or `-` when empty). */
export function shortTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  const t = Date.parse(iso);
  return Number.isFinite(t)
    ? `${new Date(t).toISOString().slice(0, 19).replace('T', ' ')}Z`
    : terminalText(iso, 30);
}
