/**
 * The CDK app's options, read from context (`-c key=value` or cdk.json) and checked once, so a typo fails the synth
 * naming the key instead of deploying something else.
 */
import { familyRoleName, ROLE_FAMILIES } from '../../src/domain/role-families';
import { SEED_CONFIG_RULES } from './seed-detections';
import type { SeedConfigRuleName } from './seed-detections';
import type { TemporalAuth } from './worker-service';

/** Every option of the app, with its default. */
export interface AppContext {
  /** `api-key` or `mtls`: run the worker and the bridge on Fargate; absent: no services. */
  readonly service?: TemporalAuth;
  /** The policy file inside the image (a derived image adds it), for the Fargate containers' `REMEDIATION_POLICY`. */
  readonly policyPathInImage?: string;
  /** Seed Config rules to create: `all`, or names separated by commas. Default: none. */
  readonly configRules: readonly SeedConfigRuleName[];
  /** Auto Scaling group for the high-CPU alarm and its scale-out policy. */
  readonly highCpuGroup?: string;
  /** Instances for `StatusCheckFailed_System` ⇒ `ec2:recover` alarms. */
  readonly recoveryInstances: readonly string[];
  /** More alarm names whose state changes the remediator handles (alarms created elsewhere). */
  readonly alarmNames: readonly string[];
  /** Lets accounts of this organisation forward events to the central bus. */
  readonly organizationId?: string;
  readonly auditObjectLockDays?: number;
  /** With it, the member-account templates are synthesized too. */
  readonly centralAccount?: string;
  /** The region of the central stack, which member regions forward to. */
  readonly centralRegion?: string;
  readonly workerRoleName: string;
  readonly memberRoleName: string;
  readonly externalId?: string;
}

/**
 * Longest base name of the member roles: IAM names are at most 64 characters and each family role adds its suffix
 * (`-Availability`, the longest, leaves 51).
 */
export const MAX_MEMBER_ROLE_NAME =
  64 - Math.max(...ROLE_FAMILIES.map((family) => familyRoleName('', family).length));

/** A base member role name that leaves room for every family's suffix. */
export const MEMBER_ROLE_NAME = new RegExp(`^[\\w+=,.@-]{1,${MAX_MEMBER_ROLE_NAME}}$`);

/** Thrown for a bad context value; the message names the key. */
export class ContextError extends Error {
  override readonly name = 'ContextError';
}

type Lookup = (key: string) => unknown;

/** A scalar context value as text (numbers and booleans arrive typed from cdk.json); objects are refused. */
function scalar(key: string, value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  throw new ContextError(`context ${key}: expected text, got ${JSON.stringify(value)}`);
}

function text(get: Lookup, key: string, pattern: RegExp, hint: string): string | undefined {
  const value = get(key);
  if (value === undefined || value === null || value === '') return undefined;
  const s = scalar(key, value).trim();
  if (!pattern.test(s)) throw new ContextError(`context ${key}: ${hint}, got '${s}'`);
  return s;
}

function list(get: Lookup, key: string, pattern: RegExp, hint: string): string[] {
  const value = get(key);
  if (value === undefined || value === null || value === '') return [];
  const items = Array.isArray(value) ? value.map((item) => scalar(key, item)) : scalar(key, value).split(',');
  return items
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      if (!pattern.test(s)) throw new ContextError(`context ${key}: ${hint}, got '${s}'`);
      return s;
    });
}

/** Reads and checks the app's context. */
export function readContext(get: Lookup): AppContext {
  const service = text(get, 'service', /^(api-key|mtls)$/, 'api-key or mtls') as TemporalAuth | undefined;
  const known = Object.keys(SEED_CONFIG_RULES);
  const rules = list(get, 'configRules', /^[a-z0-9-]+$/, 'all or seed rule names');
  const configRules = (rules.includes('all') ? known : rules).map((name) => {
    if (!known.includes(name)) {
      throw new ContextError(`context configRules: '${name}' is not a seed rule (${known.join(', ')})`);
    }
    return name;
  });
  const lockDays = text(get, 'auditObjectLockDays', /^[1-9][0-9]{0,4}$/, 'a number of days');
  const name = /^[\w+=,.@-]{1,64}$/;
  const highCpuGroup = text(get, 'highCpuGroup', /^[\w .:/-]{1,255}$/, 'an Auto Scaling group name');
  const organizationId = text(get, 'organizationId', /^o-[a-z0-9]{10,32}$/, 'an organisation id (o-…)');
  const centralAccount = text(get, 'centralAccount', /^\d{12}$/, 'a 12-digit account id');
  const policyPathInImage = text(get, 'policyPathInImage', /^\/[\w./-]+$/, 'an absolute path in the image');
  const centralRegion = text(get, 'centralRegion', /^[a-z]{2}(-[a-z]+)+-\d$/, 'a region name');
  const externalId = text(get, 'externalId', /^[\w+=,.@:/-]{2,1224}$/, 'an external id');
  return {
    ...(service ? { service } : {}),
    ...(policyPathInImage ? { policyPathInImage } : {}),
    configRules,
    ...(highCpuGroup ? { highCpuGroup } : {}),
    recoveryInstances: list(get, 'recoveryInstances', /^i-[0-9a-f]{8,17}$/, 'instance ids'),
    alarmNames: list(get, 'alarmNames', /^[^,]{1,255}$/, 'alarm names'),
    ...(organizationId ? { organizationId } : {}),
    ...(lockDays ? { auditObjectLockDays: Number(lockDays) } : {}),
    ...(centralAccount ? { centralAccount } : {}),
    ...(centralRegion ? { centralRegion } : {}),
    workerRoleName: text(get, 'workerRoleName', name, 'a role name') ?? 'RemediatorWorker',
    memberRoleName:
      text(
        get,
        'memberRoleName',
        MEMBER_ROLE_NAME,
        `a role name of at most ${MAX_MEMBER_ROLE_NAME} characters (the family suffixes need the rest of 64)`,
      ) ?? 'RemediatorMemberRole',
    ...(externalId ? { externalId } : {}),
  };
}
