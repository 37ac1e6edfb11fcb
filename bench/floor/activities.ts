/**
 * The floor's activities: the same names and arguments as the remediation's S3 success path, doing nothing, and the
 * worker's settings asked for first, as the remediation asks its worker (`workerSettings`).
 */
import type { RoutedFinding } from '../../src/domain/finding';
import type { SettingsRequest, WorkerSettings } from '../../src/activities/worker-settings';

const nothing = async (_routed: RoutedFinding): Promise<{ ok: true }> => ({ ok: true });

/** One no-op per activity of the S3 success path, in its order, after the settings of the floor worker's policy. */
export function createFloorActivities(held: WorkerSettings) {
  return {
    async workerSettings(_request: SettingsRequest = {}): Promise<WorkerSettings> {
      return held;
    },
    prepareRemediation: nothing,
    applyStep: nothing,
    concludeRemediation: nothing,
  };
}

/** The floor's activity interface. */
export type FloorActivities = ReturnType<typeof createFloorActivities>;
