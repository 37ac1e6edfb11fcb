/**
 * The latency floor: a workflow of the same shape as the remediation's S3 success path with the propagation wait at
 * 0 — registered under the same type name (on its own task queue) so the unchanged ingest bridge starts it by
 * signal-with-start exactly as it starts a remediation. Same signal, same search-attribute upserts at the same
 * points, the same eight activities in the same order (notify and audit in parallel) and the same cool-down timer;
 * only the activities do nothing. Patch markers (no round trip) are left out.
 */
import { condition, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { RoutedFinding } from '../../src/domain/finding';
import { PlaybookKey, RemediationStatusKey, SeverityKey } from '../../src/domain/search-attributes';
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
  const report = (status: string): void =>
    upsertSearchAttributes([{ key: RemediationStatusKey, value: status }]);
  for (;;) {
    const hasWork = queue.length > 0 || (await condition(() => queue.length > 0, input.settings.cooldownMs));
    if (!hasWork) break;
    const routed = queue.shift();
    if (!routed) continue;
    upsertSearchAttributes([
      { key: PlaybookKey, value: routed.playbook },
      { key: SeverityKey, value: routed.finding.severity },
    ]);
    report('ANALYZING');
    await a.analyze(routed);
    await a.checkControls(routed);
    report('CAPTURING');
    await a.capturePriorState(routed);
    report('APPLYING');
    await a.applyStep(routed);
    report('VERIFYING');
    await a.verify(routed);
    await a.reportToSource(routed);
    report('NOTIFYING');
    await Promise.all([a.notifyOutcome(routed), a.recordAudit(routed)]);
    report('REMEDIATED');
    handled += 1;
  }
  return { status: 'REMEDIATED', handled };
}
