/**
 * Every conformance setup, found by file name: adding a playbook's setup file is all it takes to run it in the
 * conformance suite (and, for a built-in playbook, the end-to-end suite).
 *
 * - `setups/<id>.ts`: the built-in kit playbooks, one each;
 * - user playbooks (docs/playbooks.md, Writing your own playbook): `examples/playbooks/*.setup.ts`, and the
 *   `*.setup.ts` files of the directory `REMEDIATOR_PLAYBOOK_SETUPS` names, so a team tests its own playbooks with
 *   the same suite: `REMEDIATOR_PLAYBOOK_SETUPS=../our-playbooks npx jest test/conformance`.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ConformanceSetup } from './conformance-setup';

function setupsIn(dir: string, suffix: string): ConformanceSetup[] {
  return (
    readdirSync(dir)
      .filter((f) => f.endsWith(suffix))
      .sort()
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded by file name, see above
      .map((f) => (require(join(dir, f)) as { setup: ConformanceSetup }).setup)
  );
}

/** The setups of the built-in kit playbooks, one each. */
export const SETUPS: readonly ConformanceSetup[] = setupsIn(join(__dirname, 'setups'), '.ts');

/** The setups of user playbooks: the example's, and those of `REMEDIATOR_PLAYBOOK_SETUPS`. */
export const USER_SETUPS: readonly ConformanceSetup[] = [
  ...setupsIn(join(__dirname, '../../examples/playbooks'), '.setup.ts'),
  ...(process.env.REMEDIATOR_PLAYBOOK_SETUPS
    ? setupsIn(resolve(process.env.REMEDIATOR_PLAYBOOK_SETUPS), '.setup.ts')
    : []),
];
