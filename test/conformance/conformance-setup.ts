/**
 * What a playbook's conformance test provides (docs/architecture.md, Playbook kit): how to make, in moto, a resource
 * the playbook must fix, one it must leave alone, and (where the resource can be missing) a finding about one that is
 * gone. The suite in `playbooks.test.ts` runs every playbook through the same cases with these.
 */
import type { Finding } from '../../src/domain/finding';
import { configFinding } from '../helpers/fixtures';
import type { AnyKitPlaybook } from '../../src/kit/playbook-kit';

/** Where a setup makes its resources: moto, straight (not through the fault proxy the playbook talks to). */
export interface ConformanceEnv {
  readonly endpoint: string;
  readonly account: string;
  readonly region: string;
  /** A fresh name for this case (resources of earlier cases may still exist). */
  readonly unique: string;
}

/** One playbook's test setup. */
export interface ConformanceSetup {
  readonly playbook: AnyKitPlaybook;
  /** Options the policy would give it (for example the KMS key of a trail); none by default. */
  readonly options?: Readonly<Record<string, string | number | boolean>>;
  /**
   * The end-to-end suite's policy gives the playbook `options` too. By default it gives none, so a playbook's path
   * without options runs there; set for a playbook that can fix nothing without them (a KMS key it must be given).
   */
  readonly optionsEndToEnd?: boolean;
  /** Makes a non-compliant resource; the finding about it. */
  nonCompliant(env: ConformanceEnv): Promise<Finding>;
  /**
   * Makes a compliant resource; the finding about it (the detector's report arriving after someone fixed it). Absent
   * only for a playbook without steps (it only escalates: nothing is ever compliant for it).
   */
  compliant?(env: ConformanceEnv): Promise<Finding>;
  /**
   * What the world does once the fix is in, that verification waits for (the added capacity takes the load and the
   * alarm returns to OK): waits for the fix to show in moto, then makes that happen. Absent for a playbook whose
   * verification reads only what its steps set. The conformance suite runs it before verifying; the end-to-end suite
   * runs it beside the workflow, whose propagation wait gives it time.
   */
  settle?(env: ConformanceEnv, finding: Finding): Promise<void>;
  /**
   * Set when only the latest non-compliant resource exists: each `nonCompliant` undoes the one before (the fixture's
   * IAM user keeps one key). The benchmark, which makes many at once, leaves such a playbook out.
   */
  readonly oneAtATime?: boolean;
  /** A finding about a resource that does not exist; absent when the resource cannot be missing (an account). */
  gone?(env: ConformanceEnv): Finding;
  /**
   * Its event fixtures (examples/events): detector events about a non-compliant resource, one per detector that
   * routes here. The end-to-end test points each at a resource `nonCompliant` made and sends it through EventBridge.
   */
  readonly events: readonly string[];
}

/** A Config finding of `rule` about `env`'s account setting (`AWS::::Account`, its id the account itself). */
export function accountFinding(env: ConformanceEnv, rule: string): Finding {
  return configFinding(rule, {
    account: env.account,
    region: env.region,
    resourceType: 'AWS::::Account',
    resourceId: env.account,
  });
}

/** A Config finding of `rule` about one resource in `env`'s account and region. */
export function resourceFinding(
  env: ConformanceEnv,
  rule: string,
  resourceType: string,
  resourceId: string,
): Finding {
  return configFinding(rule, { account: env.account, region: env.region, resourceType, resourceId });
}
