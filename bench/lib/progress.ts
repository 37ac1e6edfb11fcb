/**
 * Progress lines on stderr (stdout stays free), each with the seconds since the run started.
 */
const started = Date.now();

/** Prints one progress line to stderr. */
export function progress(line: string): void {
  const t = ((Date.now() - started) / 1000).toFixed(1).padStart(7);
  process.stderr.write(`[bench ${t}s] ${line}\n`);
}

/** Sleeps `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
