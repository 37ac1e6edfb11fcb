/** Prints the permissions table of docs/deployment.md; `--write` puts it between the doc's markers. */
import { join } from 'node:path';
import { permissionsTable } from '../lib/permissions-table';
import { writeBetweenMarkers } from '../../scripts/write-between-markers';

if (process.argv.includes('--write')) {
  writeBetweenMarkers(join(__dirname, '../../docs/deployment.md'), 'permissions-table', permissionsTable());
} else {
  process.stdout.write(`${permissionsTable()}\n`);
}
