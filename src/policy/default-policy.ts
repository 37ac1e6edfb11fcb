/**
 * The built-in policy: reproduces the seed (auto-remediate, retry 30 s ×2 with three retries; its 60 s propagation
 * wait is the window verification reads the fix back in, ended by the first read that passes)
 * and a 15-minute cool-down (docs/architecture.md, One execution per resource). Its routes are the ones the built-in
 * playbooks declare (docs/playbooks.md, GuardDuty findings): an instance caught acting in the isolation families is
 * isolated, every IAM user family's key contained, a bucket made public closed whatever the severity, and every other
 * GuardDuty finding at or above 7 ticketed and paged by `guardduty-finding-triage`, whose catch-all route comes last.
 */
import { DEFAULT_APPROVAL_TIMEOUT_MS } from '../domain/policy';
import type { RemediationPolicy } from '../domain/policy';
import { KIT_PLAYBOOKS } from '../playbooks';
import { declaredRoutes } from '../playbooks/kit-routes';

/** Used when `REMEDIATION_POLICY` is not set. */
export const DEFAULT_POLICY: RemediationPolicy = {
  version: 1,
  cooldownMs: 15 * 60 * 1000,
  routes: declaredRoutes(KIT_PLAYBOOKS),
  defaults: {
    mode: 'auto',
    propagationWaitMs: 60_000,
    activityTimeoutMs: 60_000,
    approvalTimeoutMs: DEFAULT_APPROVAL_TIMEOUT_MS,
    retry: {
      initialIntervalMs: 30_000,
      backoffCoefficient: 2,
      maximumAttempts: 4,
      maximumIntervalMs: 300_000,
    },
  },
  playbooks: {},
};
