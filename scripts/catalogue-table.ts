/** Prints the kit playbooks' table of docs/playbooks.md; `--write` puts it between the doc's catalogue-table markers. */
import { join } from 'node:path';
import { catalogueTable } from '../src/playbooks/catalogue-table';
import { writeBetweenMarkers } from './write-between-markers';

if (process.argv.includes('--write')) {
  writeBetweenMarkers(join(__dirname, '../docs/playbooks.md'), 'catalogue-table', catalogueTable());
} else {
  process.stdout.write(`${catalogueTable()}\n`);
}
