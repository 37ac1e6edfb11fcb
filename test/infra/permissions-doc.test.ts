/** docs/deployment.md lists every IAM statement the roles hold, exactly as the permission tables say. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { permissionRows, permissionsTable } from '../../infra/lib/permissions-table';
import {
  FAMILY_PERMISSIONS,
  INGEST_PERMISSIONS,
  WORKER_SELF_PERMISSIONS,
} from '../../infra/lib/worker-permissions';

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
  const allows = [
    ...Object.values(FAMILY_PERMISSIONS).flat(),
    ...WORKER_SELF_PERMISSIONS,
    ...INGEST_PERMISSIONS,
  ];
  expect(cells(permissionsTable())).toHaveLength(2 + permissionRows().length);
  // Every Allow statement of every table, then the seven denies (two on principals, five on instance attributes).
  expect(permissionRows().filter(([, , effect]) => effect === 'Allow')).toHaveLength(allows.length);
  expect(permissionRows().filter(([, , effect]) => effect === 'Deny')).toHaveLength(7);
});
