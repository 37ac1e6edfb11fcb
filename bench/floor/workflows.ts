/**
 * The latency floor: a workflow of the same shape as the remediation's S3 success path (which reads its fix back
 * inside the conclude activity, with no durable wait) — registered under the same type name as what ingest starts (`remediationWorkflow`, on its own task queue) so
 * the unchanged ingest bridge starts it by signal-with-start exactly as it starts a remediation. Same signal, the
 * settings asked of the worker first (the input carries none), the same search-attribute upsert (the outcome), the
 * same three activities in the same order (prepare, apply, conclude) and the same cool-down timer; only the
 * activities do nothing.
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
  const { settings } = await a.workerSettings(
    input.policyVersion !== undefined ? { requestedVersion: input.policyVersion } : {},
  );
  for (;;) {
    const hasWork = queue.length > 0 || (await condition(() => queue.length > 0, settings.cooldownMs));
    if (!hasWork) break;
    const routed = queue.shift();
    if (!routed) continue;
    await a.prepareRemediation(routed);
    await a.applyStep(routed);
    await a.concludeRemediation(routed);
    upsertSearchAttributes([{ key: RemediationStatusKey, value: 'REMEDIATED' }]);
    handled += 1;
  }
  return { status: 'REMEDIATED', handled };
}
