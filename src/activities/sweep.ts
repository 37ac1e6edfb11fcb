/**
 * The scheduled sweep's activity: the same sweep as `remediator sweep`, run by the worker on a Temporal schedule,
 * dispatching to the worker's own task queue.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { AwsClients } from '../aws/clients';
import { PLAYBOOKS } from '../domain/playbooks';
import { resolveExecutionSettings } from '../domain/policy';
import type { RemediationPolicy } from '../domain/policy';
import { ConfigRuleResolver, configFindingEnricher } from '../ingest/config-rule-resolver';
import { FindingDispatcher } from '../ingest/dispatcher';
import { formatSweep, sweep } from '../ingest/sweep';
import type { Logger } from '../logger';

/** What the scheduled sweep needs. */
export interface SweepDeps {
  readonly clients: AwsClients;
  readonly temporal: Client;
  readonly policy: RemediationPolicy;
  /** Region Config runs in (the worker's). */
  readonly region: string;
  readonly endpoint?: string;
}

/** What one scheduled sweep covers. */
export interface SweepRequest {
  readonly account?: string;
  readonly rules?: readonly string[];
}

/** Builds `sweepConfig`. */
export function createSweepActivities(deps: SweepDeps) {
  return {
    /** Sweeps Config once and returns the report. */
    async sweepConfig(request: SweepRequest): Promise<string> {
      const ctx = Context.current();
      let account = request.account;
      if (!account) {
        const sts = new STSClient({
          region: deps.region,
          ...(deps.endpoint ? { endpoint: deps.endpoint } : {}),
        });
        account = (await sts.send(new GetCallerIdentityCommand({}), { abortSignal: ctx.cancellationSignal }))
          .Account;
        sts.destroy();
      }
      if (!account) throw new Error('could not tell which account to sweep');
      const dispatcher = new FindingDispatcher(
        deps.temporal,
        ctx.info.taskQueue,
        resolveExecutionSettings(deps.policy, Object.keys(PLAYBOOKS)),
      );
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
      const report = await sweep({
        config: deps.clients.config(account, deps.region),
        account,
        region: deps.region,
        policy: deps.policy,
        enrich: configFindingEnricher(new ConfigRuleResolver(deps.clients, logger)),
        dispatch: (finding, playbook) => dispatcher.start({ finding, playbook }),
        ...(request.rules && request.rules.length > 0 ? { rules: request.rules } : {}),
      });
      ctx.log.info('Scheduled sweep finished', { account, found: report.items.length });
      return formatSweep(report);
    },
  };
}
