/** docs/deployment.md lists every IAM action the roles grant, exactly as the permission tables say. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { permissionsTable } from '../../infra/lib/permissions-table';

/** Cells of a markdown table, so Prettier's column padding does not matter. */
const cells = (table: string): string[][] =>
  table
    .trim()
    .split('\n')
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim().replace(/^-+$/, '-')),
    );

it('carries the current permissions table (regenerate with `npx tsx infra/bin/permissions-table.ts`)', () => {
  const doc = readFileSync(join(__dirname, '../../docs/deployment.md'), 'utf8');
  const section = /<!-- permissions-table:start -->\n([\s\S]*?)\n<!-- permissions-table:end -->/.exec(
    doc,
  )?.[1];
  expect(cells(section ?? '')).toEqual(cells(permissionsTable()));
  expect(cells(permissionsTable())).toHaveLength(2 + 10 + 5 + 4);
});
