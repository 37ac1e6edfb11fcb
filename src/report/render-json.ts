/**
 * Pure: the report as JSON (`remediator report --json`; the shape is `Report` in summarise.ts and is documented in
 * docs/report.md). Two-space indented, keys in the order the report builds them, one trailing newline left to the
 * caller.
 */
import type { Report } from './summarise';

/** The report as stable, indented JSON. */
export function renderJson(report: Report): string {
  return JSON.stringify(report, null, 2);
}
