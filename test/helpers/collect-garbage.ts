/** Full garbage collections on demand, for tests of what must survive one (or must not leak past one). */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');

/** Runs a full collection (V8's `gc`, exposed for this process). */
export const collectGarbage = runInNewContext('gc') as () => void;

/** Five full collections 20 ms apart, as a busy worker's heap would run them while a timer is pending. */
export async function collectWhilePending(): Promise<void> {
  for (let i = 0; i < 5; i += 1) {
    collectGarbage();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
