/**
 * Every conformance setup in `setups/`, found by file name: adding a playbook's setup file is all it takes to run it
 * in the conformance suite and the end-to-end suite.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ConformanceSetup } from './conformance-setup';

/** The setups, one per kit playbook. */
export const SETUPS: readonly ConformanceSetup[] = readdirSync(join(__dirname, 'setups'))
  .filter((f) => f.endsWith('.ts'))
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded by file name, see above
  .map((f) => (require(join(__dirname, 'setups', f)) as { setup: ConformanceSetup }).setup);
