import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The directory holding our package.json, whether running from `src/` (tsx) or `dist/src/` (built). */
export function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'examples'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('Cannot find the project root (package.json and examples/)');
    dir = parent;
  }
  return dir;
}
