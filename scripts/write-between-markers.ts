/**
 * Replaces the text between `<!-- <name>:start -->` and `<!-- <name>:end -->` in a document, for the scripts that
 * generate the docs' tables (`--write`). Without the markers the document is left alone and the call fails.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** Writes `content` between the markers `name` in `file`. */
export function writeBetweenMarkers(file: string, name: string, content: string): void {
  const text = readFileSync(file, 'utf8');
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${file} has no ${start} … ${end} section`);
  writeFileSync(file, `${text.slice(0, from + start.length)}\n\n${content}\n\n${text.slice(to)}`);
}
