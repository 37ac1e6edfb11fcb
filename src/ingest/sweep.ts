/**
 * `remediator sweep`: AWS Config emits events only when compliance changes, so a resource that was non-compliant
 * before the remediator was deployed never produces one. The sweep asks Config for every resource currently
 * NON_COMPLIANT with a rule that routes to a playbook, and feeds each through the same path as an event (enrich,
 * route, signal-with-start). Repeats are harmless: a running execution records them as repeats.
 */
import {
  DescribeConfigRulesCommand,
  GetComplianceDetailsByConfigRuleCommand,
} from '@aws-sdk/client-config-service';
import type { ConfigRule, ConfigServiceClient } from '@aws-sdk/client-config-service';
import type { Finding } from '../domain/finding';
import type { RemediationPolicy } from '../domain/policy';
import type { DispatchResult } from './dispatcher';
import { CONFIG_DEFAULT_SEVERITY } from './normalise';
import { routeFinding } from './router';

/** Where to sweep and what to do with what is found. */
export interface SweepOptions {
  readonly config: ConfigServiceClient;
  readonly account: string;
  readonly region: string;
  readonly policy: RemediationPolicy;
  /** Adds the managed rule and its parameters (the ingest's enricher). */
  readonly enrich: (finding: Finding) => Promise<Finding>;
  /** Starts or signals the resource's remediation; absent for a dry run. */
  readonly dispatch?: (finding: Finding, playbook: string) => Promise<DispatchResult>;
  /** Only these rules (default: every rule in the account and region). */
  readonly rules?: readonly string[];
  readonly now?: () => Date;
}

/** One resource the sweep found. */
export interface SweepItem {
  readonly rule: string;
  readonly resourceType: string;
  readonly resourceId: string;
  readonly playbook?: string;
  /** `started`: sent to its remediation; `would start` in a dry run; `skipped`: why not. */
  readonly action: 'started' | 'would start' | 'skipped';
  readonly reason?: string;
}

/** What the sweep did. */
export interface SweepReport {
  readonly rulesChecked: number;
  readonly rulesRouted: number;
  readonly items: readonly SweepItem[];
}

async function allRules(config: ConfigServiceClient, names?: readonly string[]): Promise<ConfigRule[]> {
  const rules: ConfigRule[] = [];
  let token: string | undefined;
  do {
    const page = await config.send(
      new DescribeConfigRulesCommand({
        ...(names && names.length > 0 ? { ConfigRuleNames: [...names] } : {}),
        ...(token ? { NextToken: token } : {}),
      }),
    );
    rules.push(...(page.ConfigRules ?? []));
    token = page.NextToken;
  } while (token);
  return rules;
}

/** Sweeps every (or the given) Config rule once. */
export async function sweep(options: SweepOptions): Promise<SweepReport> {
  const now = options.now ?? (() => new Date());
  const day = now().toISOString().slice(0, 10);
  const rules = await allRules(options.config, options.rules);
  const items: SweepItem[] = [];
  let rulesRouted = 0;
  for (const rule of rules) {
    const name = rule.ConfigRuleName;
    if (!name) continue;
    let token: string | undefined;
    let routed: boolean | undefined;
    do {
      const page = await options.config.send(
        new GetComplianceDetailsByConfigRuleCommand({
          ConfigRuleName: name,
          ComplianceTypes: ['NON_COMPLIANT'],
          Limit: 100,
          ...(token ? { NextToken: token } : {}),
        }),
      );
      for (const result of page.EvaluationResults ?? []) {
        const qualifier = result.EvaluationResultIdentifier?.EvaluationResultQualifier;
        if (!qualifier?.ResourceId || !qualifier.ResourceType) continue;
        const base: Finding = {
          source: 'aws.config',
          control: name,
          state: 'FAILED',
          resource: {
            account: options.account,
            region: options.region,
            resourceType: qualifier.ResourceType,
            resourceId: qualifier.ResourceId,
          },
          severity: CONFIG_DEFAULT_SEVERITY,
          title: `AWS Config rule ${name} is NON_COMPLIANT for ${qualifier.ResourceId} (found by a sweep)`,
          observedAt: (result.ResultRecordedTime ?? now()).toISOString(),
          // Stable for a day: sweeping twice in a day repeats the same finding.
          eventId: `sweep-${day}-${name}-${qualifier.ResourceId}`.slice(0, 256),
          details: { complianceType: 'NON_COMPLIANT' },
        };
        const finding = await options.enrich(base);
        const decision = routeFinding(finding, options.policy);
        const item = { rule: name, resourceType: qualifier.ResourceType, resourceId: qualifier.ResourceId };
        if (decision.action !== 'start') {
          routed ??= false;
          items.push({
            ...item,
            action: 'skipped',
            reason: decision.action === 'acknowledge' ? decision.reason : 'not a failure',
          });
          continue;
        }
        routed = true;
        if (!options.dispatch) {
          items.push({ ...item, playbook: decision.playbook, action: 'would start' });
          continue;
        }
        await options.dispatch(finding, decision.playbook);
        items.push({ ...item, playbook: decision.playbook, action: 'started' });
      }
      token = page.NextToken;
    } while (token);
    if (routed) rulesRouted += 1;
  }
  return { rulesChecked: rules.length, rulesRouted, items };
}

/** The report as an operator reads it. */
export function formatSweep(report: SweepReport): string {
  const started = report.items.filter((i) => i.action !== 'skipped');
  const skipped = report.items.filter((i) => i.action === 'skipped');
  return [
    `Swept ${report.rulesChecked} Config rule(s): ${report.items.length} non-compliant resource(s), ${started.length} sent to a playbook, ${skipped.length} skipped.`,
    ...started.map(
      (i) => `  ${i.action.padEnd(11)} ${i.playbook ?? ''} ${i.resourceType} ${i.resourceId} (${i.rule})`,
    ),
    ...skipped.map((i) => `  skipped     ${i.resourceType} ${i.resourceId} (${i.rule}): ${i.reason ?? ''}`),
  ].join('\n');
}
