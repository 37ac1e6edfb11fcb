/** docs/deployment.md lists every IAM statement the roles hold, exactly as the permission tables say. */
import { permissionRows, permissionsTable } from '../../infra/lib/permissions-table';
import {
  FAMILY_PERMISSIONS,
  INGEST_PERMISSIONS,
  WORKER_SELF_PERMISSIONS,
} from '../../infra/lib/worker-permissions';
import { generatedSection, tableCells } from '../helpers/markdown';

const cells = tableCells;

it('carries the current permissions table (regenerate with `npx tsx infra/bin/permissions-table.ts --write`)', () => {
  expect(cells(generatedSection('docs/deployment.md', 'permissions-table'))).toEqual(
    cells(permissionsTable()),
  );
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
