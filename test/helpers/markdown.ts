/** Reading generated sections of the docs. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Cells of a markdown table, so Prettier's column padding does not matter. */
export const tableCells = (table: string): string[][] =>
  table
    .trim()
    .split('\n')
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim().replace(/^-+$/, '-')),
    );

/** The text between `<!-- <name>:start -->` and `<!-- <name>:end -->` in a file under docs/ (or the repo root). */
export function generatedSection(file: string, name: string): string {
  const text = readFileSync(join(__dirname, '../..', file), 'utf8');
  return new RegExp(`<!-- ${name}:start -->\\n([\\s\\S]*?)\\n<!-- ${name}:end -->`).exec(text)?.[1] ?? '';
}
