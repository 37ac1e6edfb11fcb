/**
 * Loads user playbooks from the modules a policy names (`playbookModules`; docs/architecture.md, User playbooks):
 * each module's exports that are kit declarations, checked here as the compiler checks ours — a module is code, but
 * a declaration missing a function or with a step id twice must fail at start-up with its name, not mid-remediation.
 *
 * A module is JavaScript (CommonJS or ES module), or TypeScript with only erasable syntax on a Node that strips
 * types (22.18 and later). Paths are relative to the policy file.
 */
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { definePlaybook } from '../kit/playbook-kit';
import type { AnyKitPlaybook } from '../kit/playbook-kit';
import { ROLE_FAMILIES } from '../domain/role-families';
import { isCatalogueId } from './catalogue';

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'must be a function');

const stepSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a step id is lower-case words joined by -'),
  title: z.string().min(1),
  onFailure: z.enum(['compensate', 'fail-closed', 'best-effort']),
  plan: fn,
  needed: fn.optional(),
  apply: fn,
  undo: fn,
});

const iamAction = (example: string) =>
  z.string().regex(/^[a-z0-9-]+:[A-Za-z0-9]+$/, `an IAM action such as ${example}`);

/** The runtime shape of a kit declaration (what `KitPlaybook` says to the compiler). */
const declarationSchema = z.object({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{2,62}$/, 'a playbook id is lower-case words joined by -')
    .refine((id) => !isCatalogueId(id), 'is a built-in playbook: choose another id'),
  title: z.string().min(1),
  kind: z.enum(['configuration', 'containment', 'availability']),
  defaultMode: z.enum(['auto', 'approve', 'notify', 'dryRun']),
  roleFamily: z.enum(ROLE_FAMILIES as [string, ...string[]]),
  resource: z.object({
    type: z.string().regex(/^[A-Za-z0-9]+(::[A-Za-z0-9]+)+$/, 'a resource type such as AWS::S3::Bucket'),
    idPattern: z.instanceof(RegExp, { message: 'must be a RegExp' }),
    securityHubType: z.string().min(1).optional(),
  }),
  defaultSeverity: z.number().min(0).max(10),
  triggers: z.object({
    configRules: z
      .record(
        z.string().min(1),
        z.object({ identifier: z.string().regex(/^[A-Z0-9_]+$/), periodic: z.boolean().optional() }),
      )
      .optional(),
    securityHubControls: z.array(z.string().min(1)).optional(),
    guardDutyTypes: z.array(z.string().min(1)).optional(),
    guardDutyMinSeverity: z.number().min(0).max(10).optional(),
    alarmMetrics: z.array(z.string().min(1)).optional(),
  }),
  iamActions: z.array(iamAction('s3:GetBucketPolicy')),
  borrows: z
    .object({
      family: z.enum(ROLE_FAMILIES as [string, ...string[]]),
      actions: z.array(iamAction('ec2:StopInstances')).min(1),
    })
    .optional(),
  tags: z
    .array(
      z.object({
        actions: z.array(iamAction('ec2:CreateTags')).min(1),
        keys: z.array(z.string().min(1).max(128)).min(1),
      }),
    )
    .optional(),
  passesRoleTo: z.array(z.string().regex(/^[a-z0-9.-]+\.amazonaws\.com$/, 'a service principal')).optional(),
  dependentActions: z.array(iamAction('logs:CreateLogDelivery')).optional(),
  state: z.custom<z.ZodType>(
    (v) => typeof (v as { safeParse?: unknown } | null)?.safeParse === 'function',
    'must be a zod schema',
  ),
  read: fn,
  describe: fn,
  needsApproval: fn.optional(),
  cannotFix: fn.optional(),
  compliant: fn.optional(),
  stillWrong: fn.optional(),
  repairOnVerify: fn.optional(),
  verifyBackoff: z
    .object({
      firstIntervalMs: z.number().int().min(100).max(3_600_000),
      maximumIntervalMs: z.number().int().min(100).max(3_600_000),
    })
    .strict()
    .optional(),
  steps: z.array(stepSchema),
});

/** What looks like a declaration: anything with an id, steps and a read function (other exports are ignored). */
function looksLikeDeclaration(value: unknown): boolean {
  const v = value as { id?: unknown; steps?: unknown; read?: unknown } | null;
  return typeof v === 'object' && v !== null && typeof v.id === 'string' && Array.isArray(v.steps);
}

/** Why `value` (exported as `name` from `origin`) is not a usable declaration, or the declaration. */
export function checkDeclaration(value: unknown, where: string): AnyKitPlaybook {
  const parsed = declarationSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`,
    );
    throw new Error(`${where} is not a usable playbook:\n  ${problems.join('\n  ')}`);
  }
  try {
    return definePlaybook(value as AnyKitPlaybook);
  } catch (err) {
    throw new Error(`${where} is not a usable playbook: ${(err as Error).message}`, { cause: err });
  }
}

/** The playbooks of one module: every export that is a declaration, each checked. */
export function playbooksOf(moduleExports: unknown, origin: string): AnyKitPlaybook[] {
  const exports = (moduleExports ?? {}) as Record<string, unknown>;
  const found = Object.entries(exports)
    .filter(([, value]) => looksLikeDeclaration(value))
    .map(([name, value]) => checkDeclaration(value, `${origin} export '${name}'`));
  if (found.length === 0) {
    throw new Error(`${origin} exports no playbook (an object made with definePlaybook, exported by name)`);
  }
  return found;
}

/** Loads every module in `paths` (relative to `baseDir`) and returns their playbooks, ids unique among them. */
export function loadPlaybookModules(paths: readonly string[], baseDir: string): AnyKitPlaybook[] {
  const all: AnyKitPlaybook[] = [];
  for (const path of paths) {
    const file = isAbsolute(path) ? path : resolve(baseDir, path);
    let exports: unknown;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a module the policy names, by path
      exports = require(file);
    } catch (err) {
      throw new Error(`cannot load playbook module ${file}: ${(err as Error).message.split('\n')[0]}`, {
        cause: err,
      });
    }
    for (const playbook of playbooksOf(exports, `playbook module ${file}`)) {
      const twice = all.find((p) => p.id === playbook.id);
      if (twice) throw new Error(`playbook ${playbook.id} is declared twice (again in ${file})`);
      all.push(playbook);
    }
  }
  return all;
}
