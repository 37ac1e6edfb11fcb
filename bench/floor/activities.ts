/**
 * The floor's activities: the same names as the remediation's S3 success path, doing nothing; the first
 * (`openRemediation`) hands over the worker's settings, as the remediation's opens its run with them.
 */
import type { RoutedFinding } from '../../src/domain/finding';
import type { SettingsRequest, WorkerSettings } from '../../src/activities/worker-settings';

const nothing = async (_routed: RoutedFinding): Promise<{ ok: true }> => ({ ok: true });

/** One no-op per activity of the S3 success path, in its order; the first with the floor worker's policy settings. */
export function createFloorActivities(held: WorkerSettings) {
  return {
    async openRemediation(_request: { settings: SettingsRequest; routed: RoutedFinding }): Promise<{
      worker: WorkerSettings;
    }> {
      return { worker: held };
    },
    prepareRemediation: nothing,
    applyStep: nothing,
    concludeRemediation: nothing,
  };
}

/** The floor's activity interface. */
export type FloorActivities = ReturnType<typeof createFloorActivities>;
