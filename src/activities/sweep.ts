/**
 * The scheduled sweep's activity: the same sweep as `remediator sweep`, run by the worker on a Temporal schedule,
 * dispatching to the worker's own task queue.
 */
import { Context } from '@temporalio/activity';
import { formatSweep } from '../ingest/sweep';
import { sweepAccount } from '../ingest/sweep-account';
import type { SweepScope, SweepTarget } from '../ingest/sweep-account';
import type { Logger } from '../logger';
import { activityAbortSignal } from './abort-signal';

/** What the scheduled sweep needs: a sweep target but for the task queue and logger, which the activity supplies. */
export type SweepDeps = Omit<SweepTarget, 'taskQueue' | 'logger'>;

/** What one scheduled sweep covers (always dispatched, never a dry run). */
export type SweepRequest = Pick<SweepScope, 'account' | 'rules'>;

/** Builds `sweepConfig`. */
export function createSweepActivities(deps: SweepDeps) {
  return {
    /** Sweeps Config once and returns the report. */
    async sweepConfig(request: SweepRequest): Promise<string> {
      const ctx = Context.current();
      const logger: Logger = {
        debug: (m, f) => {
          ctx.log.debug(m, f);
        },
        info: (m, f) => {
          ctx.log.info(m, f);
        },
        warn: (m, f) => {
          ctx.log.warn(m, f);
        },
        error: (m, f) => {
          ctx.log.error(m, f);
        },
      };
      const { report } = await sweepAccount(
        { ...deps, taskQueue: ctx.info.taskQueue, logger },
        request,
        activityAbortSignal(),
      );
      return formatSweep(report);
    },
  };
}
