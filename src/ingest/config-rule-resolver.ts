/**
 * Resolves a Config rule name to the managed rule it runs (its `SourceIdentifier`) and its parameters, so rules that
 * Security Hub or conformance packs deploy under other names (`securityhub-ec2-imdsv2-check-3f1c9a`) route to the
 * same playbook. Lookups are cached per (account, region, rule), at most `maxEntries` of them (rule names come from
 * events, so a stream of made-up names must not grow the cache without end); a failed lookup falls back to the rule
 * name.
 */
import { DescribeConfigRulesCommand } from '@aws-sdk/client-config-service';
import type { AwsClients } from '../aws/clients';
import type { Finding } from '../domain/finding';
import type { Logger } from '../logger';
import { KIT_PLAYBOOKS } from '../playbooks';
import { userPlaybooks } from '../playbooks/user-playbooks';

/** Managed rule identifiers → the control names our policy routes by, as the built-in playbooks declare them. */
export const MANAGED_RULE_CONTROLS: Readonly<Record<string, string>> = {
  // The rules the kit playbooks declare.
  ...Object.fromEntries(
    KIT_PLAYBOOKS.flatMap((p) =>
      Object.entries(p.triggers.configRules ?? {}).map(([name, rule]) => [rule.identifier, name]),
    ),
  ),
};

/** The control name of a managed rule identifier: the catalogue's, or a loaded playbook's declared rule. */
export function managedControlOf(identifier: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(MANAGED_RULE_CONTROLS, identifier)) {
    return MANAGED_RULE_CONTROLS[identifier];
  }
  for (const p of userPlaybooks()) {
    const rule = Object.entries(p.triggers.configRules ?? {}).find(([, r]) => r.identifier === identifier);
    if (rule) return rule[0];
  }
  return undefined;
}

/** What a rule name resolved to. */
export interface ResolvedRule {
  /** The managed rule's control name, when the rule is a managed rule we know. */
  readonly managedControl?: string;
  readonly sourceIdentifier?: string;
  /** The rule's InputParameters (e.g. blockedPort1..5), as strings. */
  readonly parameters: Readonly<Record<string, string>>;
}

interface CacheEntry {
  readonly value: ResolvedRule;
  readonly expires: number;
}

/** Cached DescribeConfigRules lookups. */
export class ConfigRuleResolver {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    private readonly clients: AwsClients,
    private readonly logger: Logger,
    private readonly ttlMs = 60 * 60 * 1000,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {}

  /** Looks the rule up (or returns the cached answer); never throws. */
  async resolve(account: string, region: string, ruleName: string): Promise<ResolvedRule> {
    const key = `${account}/${region}/${ruleName}`;
    const cached = this.cache.get(key);
    if (cached && cached.expires > this.now()) return cached.value;
    const value = await this.lookup(account, region, ruleName);
    // Re-inserted at the end: the Map's order is then oldest-written first, and the first entry goes when full.
    this.cache.delete(key);
    this.cache.set(key, { value, expires: this.now() + this.ttlMs });
    if (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return value;
  }

  private async lookup(account: string, region: string, ruleName: string): Promise<ResolvedRule> {
    try {
      const out = await this.clients
        .config(account, region)
        .send(new DescribeConfigRulesCommand({ ConfigRuleNames: [ruleName] }));
      const rule = out.ConfigRules?.[0];
      const sourceIdentifier = rule?.Source?.Owner === 'AWS' ? rule.Source.SourceIdentifier : undefined;
      const managedControl = sourceIdentifier ? managedControlOf(sourceIdentifier) : undefined;
      return {
        ...(sourceIdentifier ? { sourceIdentifier } : {}),
        ...(managedControl ? { managedControl } : {}),
        parameters: parseParameters(rule?.InputParameters),
      };
    } catch (err) {
      this.logger.warn('DescribeConfigRules failed; routing by rule name', {
        account,
        region,
        ruleName,
        error: (err as Error).name,
      });
      return { parameters: {} };
    }
  }
}

function parseParameters(json: string | undefined): Record<string, string> {
  if (!json) return {};
  try {
    const parsed = JSON.parse(json) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return {};
    return Object.fromEntries(
      Object.entries(parsed as Record<string, unknown>)
        .filter(([, v]) => typeof v === 'string' || typeof v === 'number')
        .map(([k, v]) => [k, String(v)]),
    );
  } catch {
    return {};
  }
}

/** Adds the managed rule and its parameters to a Config finding's details; other findings pass through. */
export function configFindingEnricher(resolver: ConfigRuleResolver) {
  return async function enrich(finding: Finding): Promise<Finding> {
    if (finding.source !== 'aws.config') return finding;
    const rule = await resolver.resolve(finding.resource.account, finding.resource.region, finding.control);
    const parameters = Object.fromEntries(Object.entries(rule.parameters).map(([k, v]) => [`param.${k}`, v]));
    return {
      ...finding,
      details: {
        ...finding.details,
        ...(rule.managedControl ? { managedControl: rule.managedControl } : {}),
        ...(rule.sourceIdentifier ? { sourceIdentifier: rule.sourceIdentifier } : {}),
        ...parameters,
      },
    };
  };
}
