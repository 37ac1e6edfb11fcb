/**
 * The floor's activities: the same names and arguments as the remediation's S3 success path, doing nothing.
 */
import type { RoutedFinding } from '../../src/domain/finding';

const nothing = async (_routed: RoutedFinding): Promise<{ ok: true }> => ({ ok: true });

/** One no-op per activity of the S3 success path, in its order. */
export function createFloorActivities() {
  return {
    prepareRemediation: nothing,
    applyStep: nothing,
    concludeRemediation: nothing,
  };
}

/** The floor's activity interface. */
export type FloorActivities = ReturnType<typeof createFloorActivities>;
