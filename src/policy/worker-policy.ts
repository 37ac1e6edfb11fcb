/**
 * The policy as the worker holds it (docs/architecture.md, Trust model): the settings every playbook runs with, the
 * trust settings with `self` resolved, and a version that names this exact content, so a workflow input that names
 * another version is noticed (and the worker's policy still wins).
 */
import { createHash } from 'node:crypto';
import { catalogueShapes } from '../playbooks/catalogue';
import {
  DEFAULT_PROTECTED_PRINCIPALS,
  DEFAULT_TRUST,
  resolveExecutionSettings,
  resolveTrust,
} from '../domain/policy';
import type { RemediationPolicy, TrustSettings, WorkerPolicy } from '../domain/policy';

/** Canonical JSON: keys sorted, so the same policy always has the same version whatever its file's key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The policy's version: the first 16 hex digits of the SHA-256 of its canonical JSON. */
export function policyVersion(policy: RemediationPolicy): string {
  return createHash('sha256').update(canonical(policy)).digest('hex').slice(0, 16);
}

/** The trust settings of a policy with every default filled in (`self` still unresolved). */
export function trustSettings(
  policy: RemediationPolicy,
  extraProtected: readonly string[] = [],
): TrustSettings {
  const own = policy.trust ?? {};
  return {
    ...DEFAULT_TRUST,
    ...own,
    protectedPrincipals: [
      ...new Set([...(own.protectedPrincipals ?? DEFAULT_PROTECTED_PRINCIPALS), ...extraProtected]),
    ],
    approvers: own.approvers ?? DEFAULT_TRUST.approvers,
  };
}

/**
 * What the worker answers a workflow that asks for its settings. `selfAccount` is the worker's account from STS;
 * `ownRoles` are the remediator's own role names (always protected, whatever the policy lists).
 */
export function workerPolicy(
  policy: RemediationPolicy,
  selfAccount: string,
  ownRoles: readonly string[] = [],
): WorkerPolicy {
  return {
    version: policyVersion(policy),
    settings: resolveExecutionSettings(policy, catalogueShapes()),
    trust: resolveTrust(trustSettings(policy, ownRoles), selfAccount),
  };
}
