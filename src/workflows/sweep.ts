/**
 * The scheduled sweep: one activity that asks Config for what is non-compliant now and starts its remediations.
 * Started by the Temporal schedule `remediation-sweep/<taskQueue>` (`remediator sweep --every …`).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { createSweepActivities, SweepRequest } from '../activities/sweep';

const { sweepConfig } = proxyActivities<ReturnType<typeof createSweepActivities>>({
  startToCloseTimeout: '15m',
  retry: { initialInterval: '30s', backoffCoefficient: 2, maximumAttempts: 3 },
});

/** Runs one sweep; returns its report. */
export async function sweepWorkflow(request: SweepRequest = {}): Promise<string> {
  return sweepConfig(request);
}
