/**
 * The worker's own policy in tests (docs/architecture.md, Trust model): a workflow takes its settings from the
 * worker, never from its input, so a test that wants other settings gives them to the worker of its task queue. One
 * test process runs many workers, one per task queue; each finds its policy here.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { PolicySource } from '../../src/activities/worker-settings';
import { DEFAULT_TRUST, resolveTrust } from '../../src/domain/policy';
import type {
  ExecutionSettings,
  PlaybookSettings,
  RemediationPolicy,
  TrustSettings,
  WorkerPolicy,
} from '../../src/domain/policy';
import { LOCAL_STACK_TRUST } from '../../src/devstack/local-policy';
import { DEFAULT_POLICY } from '../../src/policy/default-policy';
import { FindingDispatcher } from '../../src/ingest/dispatcher';
import { FIXTURE_ACCOUNT } from './aws';
import { fastSettings } from './fixtures';

/**
 * The trust of the local stack (moto has no GuardDuty findings or Config compliance details, and its STS vouches for
 * any signature): the tests' default. Suites that test trust set their own.
 */
export const LOCAL_TRUST = LOCAL_STACK_TRUST;

const byQueue = new Map<string, WorkerPolicy>();

/** The worker policy of a test: its settings and trust (over the local stack's) with `self` = the fixtures' account. */
export function testPolicy(
  settings: ExecutionSettings = fastSettings(),
  trust: Partial<TrustSettings> = {},
): WorkerPolicy {
  return {
    version: 'test',
    settings,
    trust: resolveTrust({ ...DEFAULT_TRUST, ...LOCAL_TRUST, ...trust }, FIXTURE_ACCOUNT),
  };
}

/** Gives the worker of `taskQueue` these settings (and trust). */
export function useWorkerPolicy(
  taskQueue: string,
  settings: ExecutionSettings,
  trust: Partial<TrustSettings> = {},
): void {
  byQueue.set(taskQueue, testPolicy(settings, trust));
}

/** What test workers answer `workerSettings` with: the task queue's policy, or fast settings. */
export const testPolicyFor: PolicySource = (taskQueue) => byQueue.get(taskQueue) ?? testPolicy();

/** One playbook's settings as a policy file's `defaults`: without its shape (the worker's to send, never a file's). */
export function asPolicyDefaults(settings: PlaybookSettings): PlaybookSettings {
  const defaults = { ...settings };
  delete defaults.shape;
  return defaults;
}

/** The seed's routes with the same settings for every playbook (from `fastSettings`) and the local stack's trust. */
export function policyWith(settings: ExecutionSettings): RemediationPolicy {
  const first = Object.values(settings.playbooks)[0];
  if (!first) throw new Error('the settings name no playbook');
  return {
    ...DEFAULT_POLICY,
    cooldownMs: settings.cooldownMs,
    defaults: asPolicyDefaults(first),
    trust: LOCAL_TRUST,
  };
}

/**
 * A policy file for a spawned `remediator worker`: the seed's routes, fast settings with `overrides`, the given
 * cool-down and the local stack's trust.
 */
export function policyFile(overrides: Partial<PlaybookSettings> = {}, cooldownMs = 500): string {
  const path = join(mkdtempSync(join(tmpdir(), 'worker-policy-')), 'policy.json');
  writeFileSync(path, JSON.stringify(policyWith(fastSettings(overrides, cooldownMs))));
  return path;
}

/** A dispatcher for a task queue whose worker runs with `settings`. */
export function dispatcherWith(
  client: Client,
  taskQueue: string,
  settings: ExecutionSettings,
  trust: Partial<TrustSettings> = {},
): FindingDispatcher {
  useWorkerPolicy(taskQueue, settings, trust);
  return new FindingDispatcher(client, taskQueue, 'test');
}
