/**
 * The latency floor: a workflow of the same shape as the remediation's S3 success path, registered under the same
 * type name as what ingest starts (`remediationWorkflow`, on its own task queue) so the unchanged ingest bridge starts
 * it by signal-with-start exactly as it starts a remediation. Same signal; the same three activities in the same
 * order (open, which hands over the worker's settings as the remediation's opens its run with them; apply;
 * conclude, inside which the remediation reads its fix back, with no durable wait); the same search-attribute upsert
 * (the outcome) and cool-down timer. Only the activities do nothing.
 */
import { condition, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { RoutedFinding } from '../../src/domain/finding';
import { RemediationStatusKey } from '../../src/domain/search-attributes';
import { findingSignal } from '../../src/workflows/definitions';
import type { RemediationInput } from '../../src/workflows/definitions';
import type { FloorActivities } from './activities';

const a = proxyActivities<FloorActivities>({ startToCloseTimeout: '1 minute' });

/** The no-op twin of `remediationWorkflow`. */
export async function remediationWorkflow(
  input: RemediationInput,
): Promise<{ status: string; handled: number }> {
  const queue: RoutedFinding[] = [];
  let handled = 0;
  setHandler(findingSignal, (routed) => {
    queue.push(routed);
  });
  let cooldownMs: number | undefined;
  for (;;) {
    const hasWork =
      queue.length > 0 || (cooldownMs !== undefined && (await condition(() => queue.length > 0, cooldownMs)));
    if (!hasWork) break;
    const routed = queue.shift();
    if (!routed) continue;
    // The first finding opens the run: settings and preparation in one activity, as the remediation's does.
    if (cooldownMs === undefined) {
      const { worker } = await a.openRemediation({
        settings: input.policyVersion !== undefined ? { requestedVersion: input.policyVersion } : {},
        routed,
      });
      cooldownMs = worker.settings.cooldownMs;
    } else {
      await a.prepareRemediation(routed);
    }
    await a.applyStep(routed);
    await a.concludeRemediation(routed);
    upsertSearchAttributes([{ key: RemediationStatusKey, value: 'REMEDIATED' }]);
    handled += 1;
  }
  return { status: 'REMEDIATED', handled };
}
