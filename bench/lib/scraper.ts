/**
 * A Prometheus scraper for the benchmark: GETs a `/metrics` endpoint at a fixed interval (as a Prometheus server
 * would, only more often), counting scrapes and keeping the last body, and sums a metric's samples in a body.
 */
import { sleep } from './progress';

/** What a scraper saw. */
export interface ScrapeStats {
  /** Scrapes answered 200. */
  readonly scrapes: number;
  /** Scrapes that failed (refused, or not 200). */
  readonly failures: number;
  /** Size in bytes of the last body answered 200 (0 when none was). */
  readonly lastBodyBytes: number;
}

/** A running scraper. */
export interface Scraper {
  /** Stops after the scrape in flight; resolves with what it saw. */
  stop(): Promise<ScrapeStats>;
}

/** GETs `url` and returns its body; throws unless it answers 200. */
export async function scrapeOnce(url: string): Promise<string> {
  const response = await fetch(url);
  const body = await response.text();
  if (!response.ok) throw new Error(`scrape of ${url} answered ${response.status}`);
  return body;
}

/** Scrapes `url` every `intervalMs` (from the start of one scrape to the next; never two at once) until stopped. */
export function startScraper(url: string, intervalMs: number): Scraper {
  let stopped = false;
  let scrapes = 0;
  let failures = 0;
  let lastBodyBytes = 0;
  const loop = (async () => {
    while (!stopped) {
      const started = Date.now();
      try {
        lastBodyBytes = Buffer.byteLength(await scrapeOnce(url));
        scrapes += 1;
      } catch {
        failures += 1;
      }
      const wait = intervalMs - (Date.now() - started);
      if (wait > 0 && !stopped) await sleep(wait);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { scrapes, failures, lastBodyBytes };
    },
  };
}

/**
 * The sum of the samples of `name` in a Prometheus text exposition (every label combination). A line is a sample
 * of `name` when the name is followed by `{` or a space, so `name_bucket`-like series of another metric never count.
 */
export function sumSamples(exposition: string, name: string): number {
  let total = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(name)) continue;
    const next = line.charAt(name.length);
    if (next !== '{' && next !== ' ') continue;
    // The value follows the labels (which may contain spaces inside quotes), so take it after the closing brace.
    const rest = next === '{' ? line.slice(line.lastIndexOf('}') + 1) : line.slice(name.length);
    const value = Number(rest.trim().split(/\s+/)[0]);
    if (Number.isFinite(value)) total += value;
  }
  return total;
}
