/** docs/playbooks.md lists every kit playbook as its declaration says (regenerate: `npx tsx scripts/catalogue-table.ts --write`). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { catalogueRows, catalogueTable } from '../../src/playbooks/catalogue-table';
import { KIT_PLAYBOOKS } from '../../src/playbooks';
import { CATALOGUE_IDS } from '../../src/playbooks/catalogue';
import { generatedSection, tableCells } from '../helpers/markdown';

it('carries the current table of the kit playbooks', () => {
  expect(tableCells(generatedSection('docs/playbooks.md', 'catalogue-table'))).toEqual(
    tableCells(catalogueTable()),
  );
  expect(catalogueRows()).toHaveLength(KIT_PLAYBOOKS.length);
});

it('says in the README how many playbooks ship', () => {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  expect(/^(\d+) playbooks ship:/m.exec(readme)?.[1]).toBe(`${CATALOGUE_IDS.length}`);
});
