/** Prints the permissions table of docs/deployment.md. */
import { permissionsTable } from '../lib/permissions-table';

process.stdout.write(`${permissionsTable()}\n`);
