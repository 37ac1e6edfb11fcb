/**
 * One sweep of an account, as both `remediator sweep` and the scheduled sweep activity run it: find the account
 * (STS) when not given, enrich with the rule resolver, and dispatch through the same dispatcher as the ingest bridge.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Client } from '@temporalio/client';
import type { AwsClients } from '../aws/clients';
import type { RemediationPolicy } from '../domain/policy';
import type { Logger } from '../logger';
import { policyVersion } from '../policy/worker-policy';
import { ConfigRuleResolver, configFindingEnricher } from './config-rule-resolver';
import { FindingDispatcher } from './dispatcher';
import { sweep } from './sweep';
import type { SweepReport } from './sweep';

/** Where a sweep runs and where it sends what it finds. */
export interface SweepTarget {
  readonly clients: AwsClients;
  readonly temporal: Client;
  readonly taskQueue: string;
  readonly policy: RemediationPolicy;
  /** Region Config runs in. */
  readonly region: string;
  readonly endpoint?: string;
  readonly logger: Logger;
}

/** What one sweep covers. */
export interface SweepScope {
  /** The account Config runs in; default: the credentials' own (STS GetCallerIdentity). */
  readonly account?: string;
  readonly rules?: readonly string[];
  /** List what would be started; start nothing. */
  readonly dryRun?: boolean;
}

/** Sweeps the account once. */
export async function sweepAccount(
  target: SweepTarget,
  scope: SweepScope,
  abortSignal?: AbortSignal,
): Promise<{ account: string; report: SweepReport }> {
  let account = scope.account;
  if (!account) {
    const sts = new STSClient({
      region: target.region,
      ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    });
    try {
      account = (await sts.send(new GetCallerIdentityCommand({}), abortSignal ? { abortSignal } : {}))
        .Account;
    } finally {
      sts.destroy();
    }
  }
  if (!account) throw new Error('could not tell which account to sweep (GetCallerIdentity returned none)');
  // The input names only the resource and the policy version: the worker runs with its own settings.
  const dispatcher = new FindingDispatcher(target.temporal, target.taskQueue, policyVersion(target.policy));
  const report = await sweep({
    config: target.clients.config(account, target.region),
    account,
    region: target.region,
    policy: target.policy,
    enrich: configFindingEnricher(new ConfigRuleResolver(target.clients, target.logger)),
    ...(scope.dryRun ? {} : { dispatch: (finding, playbook) => dispatcher.start({ finding, playbook }) }),
    ...(scope.rules && scope.rules.length > 0 ? { rules: scope.rules } : {}),
  });
  target.logger.info('Sweep finished', {
    account,
    region: target.region,
    found: report.items.length,
    dryRun: scope.dryRun ?? false,
  });
  return { account, report };
}
