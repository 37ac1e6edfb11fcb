/**
 * The approvals-waiting gauge (docs/observability.md): how many remediations wait for an operator's decision now,
 * counted in Temporal's visibility store (the `RemediationStatus` search attribute) once a minute. A count made in
 * workflow code could not be a gauge: each execution only knows itself.
 */
import type { Client } from '@temporalio/client';
import { REMEDIATION_WORKFLOW_TYPE } from '../workflows/definitions';
import type { Logger } from '../logger';
import type { MetricsRecorder } from './recorder';

/** The visibility query of the remediations waiting for a decision. */
export const APPROVALS_WAITING_QUERY =
  `WorkflowType = '${REMEDIATION_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' ` +
  `AND RemediationStatus = 'AWAITING_APPROVAL'`;

/** Counts once now and then every `intervalMs`; returns the function that stops it. */
export function pollApprovalsWaiting(
  client: Client,
  recorder: MetricsRecorder,
  logger: Logger,
  intervalMs = 60_000,
): () => void {
  let failing = false;
  const count = async (): Promise<void> => {
    try {
      const { count: waiting } = await client.workflow.count(APPROVALS_WAITING_QUERY);
      recorder.record('approvalsWaiting', {}, waiting);
      if (failing) logger.info('Counting the approvals waiting again');
      failing = false;
    } catch (err) {
      // One line per outage, not one a minute; the gauge keeps its last value meanwhile.
      if (!failing) logger.warn('Could not count the approvals waiting', { error: (err as Error).message });
      failing = true;
    }
  };
  void count();
  const timer = setInterval(() => void count(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
