/**
 * The latency floor: a workflow of the same shape as the remediation's S3 success path, registered under the same
 * type name as what ingest starts (`remediationWorkflow`, on its own task queue) so the unchanged ingest bridge starts
 * it by signal-with-start exactly as it starts a remediation. Same signal; the same three activities in the same
 * order (open, which hands over the worker's settings as the remediation's opens its run with them; apply;
 * conclude, inside which the remediation reads its fix back, with no durable wait); the same search-attribute upsert
 * (the outcome) and cool-down timer. The same handlers too (the memory section compares what a cached execution
 * holds): the cancellation note, the approval update and signal, the status and pending-approval queries. Only the
 * activities do nothing, and no approval is ever waited for.
 */
import {
  ApplicationFailure,
  condition,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { RoutedFinding } from '../../src/domain/finding';
import type { RemediationSnapshot } from '../../src/domain/remediation';
import { RemediationStatusKey } from '../../src/domain/search-attributes';
import {
  approvalSignal,
  approvalUpdate,
  cancellationNoteSignal,
  findingSignal,
  pendingApprovalQuery,
  statusQuery,
} from '../../src/workflows/definitions';
import type { RemediationInput } from '../../src/workflows/definitions';
import type { FloorActivities } from './activities';

const a = proxyActivities<FloorActivities>({ startToCloseTimeout: '1 minute' });

/** The no-op twin of `remediationWorkflow`. */
export async function remediationWorkflow(
  input: RemediationInput,
): Promise<{ status: string; handled: number }> {
  const queue: RoutedFinding[] = [];
  let handled = 0;
  // Set once the first finding opened the run; declared before the handlers, which buffered signals reach at once.
  let cooldownMs: number | undefined;
  let repeats = 0;
  let phase: RemediationSnapshot['phase'] = 'IDLE';
  setHandler(findingSignal, (routed) => {
    if (cooldownMs !== undefined && queue.length === 0) repeats += 1;
    else queue.push(routed);
  });
  setHandler(cancellationNoteSignal, () => undefined);
  setHandler(approvalSignal, () => undefined);
  setHandler(
    approvalUpdate,
    (_decision) => {
      throw ApplicationFailure.create({ message: 'no approval is waited for', type: 'DecisionRefused' });
    },
    {
      validator: (_decision) => {
        throw new Error('no approval is waited for');
      },
    },
  );
  setHandler(pendingApprovalQuery, () => undefined);
  setHandler(statusQuery, (): RemediationSnapshot => ({
    resource: input.resource,
    phase,
    queued: queue.length,
    repeats,
    regressions: 0,
    compliantSignals: 0,
    continuedAsNew: 0,
    outcomes: [],
  }));
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
    phase = 'COOLDOWN';
    handled += 1;
  }
  return { status: 'REMEDIATED', handled };
}
