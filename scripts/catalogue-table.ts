/** Prints the kit playbooks' table of docs/playbooks.md (between its catalogue-table markers). */
import { catalogueTable } from '../src/playbooks/catalogue-table';

process.stdout.write(`${catalogueTable()}\n`);
