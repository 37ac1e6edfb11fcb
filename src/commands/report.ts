/**
 * `remediator report [--since 7d] [--json] [--html FILE]`: what the remediator did in a period, from Temporal
 * (docs/report.md): outcomes, time to remediate per playbook, escalations, busiest accounts and resources, approvals
 * and operator rollbacks. A terminal table by default, JSON with `--json`, and a self-contained HTML page with charts
 * with `--html`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { collect } from '../report/collect';
import { renderHtml } from '../report/render-html';
import { renderJson } from '../report/render-json';
import { renderTable } from '../report/render-table';
import { summarise } from '../report/summarise';
import type { Report } from '../report/summarise';
import { DecisionRefusedError } from './decide-errors';

const UNITS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Longest window: a year, far beyond any visibility retention, so a typo (7000d) is caught. */
const MAX_WINDOW_MS = 366 * 86_400_000;

/** `--since` as milliseconds: a duration such as `30m`, `12h`, `7d` or `2w`; anything else is refused (exit 2). */
export function parseSince(text: string): number {
  const match = /^(\d+)([mhdw])$/.exec(text.trim());
  const ms = match ? Number(match[1]) * (UNITS[match[2] ?? ''] ?? 0) : NaN;
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new DecisionRefusedError(
      `--since '${text}' is not a duration: use a number and a unit, m, h, d or w (30m, 12h, 7d, 2w)`,
    );
  }
  if (ms > MAX_WINDOW_MS) throw new DecisionRefusedError(`--since '${text}' is longer than a year`);
  return ms;
}

/** How to report. */
export interface ReportOptions {
  readonly sinceMs: number;
  /** Length of the top accounts and resources lists. */
  readonly top: number;
  /** Histories fetched at once. */
  readonly concurrency?: number;
  readonly now?: Date;
}

/** Collects and summarises the window that ends now. */
export async function buildReport(client: Client, options: ReportOptions): Promise<Report> {
  const until = options.now ?? new Date();
  const since = new Date(until.getTime() - options.sinceMs);
  const collected = await collect(client, {
    since,
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
  });
  return summarise(collected, { since, until, top: options.top });
}

/** What the command prints on stdout and writes to a file. */
export interface ReportOutput {
  /** The table, or the JSON with `json`. */
  readonly stdout: string;
  /** Where the HTML page was written, when asked. */
  readonly htmlPath?: string;
}

/** Renders `report` as asked: the table or JSON for stdout, and the HTML page to `htmlPath` (directories created). */
export function writeReport(report: Report, opts: { json: boolean; html?: string }): ReportOutput {
  let htmlPath: string | undefined;
  if (opts.html !== undefined) {
    htmlPath = resolve(opts.html);
    mkdirSync(dirname(htmlPath), { recursive: true });
    writeFileSync(htmlPath, renderHtml(report));
  }
  return { stdout: opts.json ? renderJson(report) : renderTable(report), ...(htmlPath ? { htmlPath } : {}) };
}
