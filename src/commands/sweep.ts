/**
 * `remediator sweep`: finds resources that are already non-compliant (Config emits only on change) and feeds them
 * through the ingest path. Uses the same policy, rule resolver and dispatcher as `remediator ingest`.
 */
import type { Client } from '@temporalio/client';
import { ScheduleAlreadyRunning, ScheduleNotFoundError } from '@temporalio/client';
import { AwsClients } from '../aws/clients';
import type { AwsSettings } from '../config';
import { ACCOUNT_ID_PATTERN } from '../domain/finding';
import type { RemediationPolicy } from '../domain/policy';
import { formatSweep } from '../ingest/sweep';
import { sweepAccount } from '../ingest/sweep-account';
import type { Logger } from '../logger';
import { DecisionRefusedError } from './decide';

/** What the operator asked. */
export interface SweepCommand {
  readonly rules?: readonly string[];
  readonly dryRun: boolean;
  /** The account Config runs in; default: the credentials' own (STS GetCallerIdentity). */
  readonly account?: string;
}

/** Runs one sweep and returns the report for the terminal. */
export async function runSweep(
  client: Client,
  taskQueue: string,
  aws: AwsSettings,
  policy: RemediationPolicy,
  command: SweepCommand,
  logger: Logger,
): Promise<string> {
  if (command.account !== undefined && !ACCOUNT_ID_PATTERN.test(command.account)) {
    throw new DecisionRefusedError(`--account '${command.account}' is not a 12-digit account id`);
  }
  const clients = new AwsClients({ ...(aws.endpoint ? { endpoint: aws.endpoint } : {}) });
  try {
    const { report } = await sweepAccount(
      {
        clients,
        temporal: client,
        taskQueue,
        policy,
        region: aws.region,
        ...(aws.endpoint ? { endpoint: aws.endpoint } : {}),
        logger,
      },
      command,
    );
    return formatSweep(report);
  } finally {
    clients.destroy();
  }
}

/** The schedule id of the periodic sweep of a task queue. */
export function sweepScheduleId(taskQueue: string): string {
  return `remediation-sweep/${taskQueue}`;
}

/** Creates (or updates) the Temporal schedule that runs the sweep on the worker every `everyMs`. */
export async function scheduleSweep(
  client: Client,
  taskQueue: string,
  everyMs: number,
  request: { rules?: readonly string[]; account?: string },
): Promise<string> {
  const scheduleId = sweepScheduleId(taskQueue);
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'sweepWorkflow',
    taskQueue,
    workflowId: `sweep/${taskQueue}`,
    args: [request],
    staticSummary: 'Config sweep: remediate what was non-compliant before any event',
  };
  const spec = { intervals: [{ every: everyMs }] };
  const every = `${Math.round(everyMs / 60_000)} min`;
  try {
    await client.schedule.create({ scheduleId, spec, action, policies: { overlap: 'SKIP' } });
    return `Scheduled the sweep every ${every} (schedule ${scheduleId}; the worker runs it).`;
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action }));
    return `Updated the sweep schedule ${scheduleId}: every ${every}.`;
  }
}

/** Deletes the sweep schedule. */
export async function unscheduleSweep(client: Client, taskQueue: string): Promise<string> {
  const scheduleId = sweepScheduleId(taskQueue);
  try {
    await client.schedule.getHandle(scheduleId).delete();
    return `Deleted the sweep schedule ${scheduleId}.`;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return `No sweep schedule ${scheduleId} to delete.`;
    throw err;
  }
}
