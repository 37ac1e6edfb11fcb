/**
 * The policy file's schema (zod). Durations are milliseconds; unknown keys are rejected so a typo never silently
 * falls back to a default.
 */
import { z } from 'zod';
import { allPlaybookIds, CATALOGUE_IDS, definitionOf } from '../playbooks/catalogue';
import type { PlaybookKind } from '../domain/playbooks';

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;

const duration = (min: number, max: number) => z.number().int().min(min).max(max);

const retrySchema = z
  .object({
    initialIntervalMs: z.number().int().min(0),
    backoffCoefficient: z.number().min(1),
    maximumAttempts: z.number().int().min(1).max(100),
    maximumIntervalMs: z.number().int().min(1),
  })
  .strict();

const windowLimit = z
  .object({ maxPerWindow: z.number().int().min(1).max(1_000_000), windowMs: duration(1000, 30 * DAY) })
  .strict();

const settingsShape = {
  mode: z.enum(['auto', 'approve', 'notify', 'dryRun']),
  propagationWaitMs: duration(0, DAY),
  activityTimeoutMs: duration(1000, HOUR),
  retry: retrySchema,
  approvalTimeoutMs: duration(1000, 30 * DAY).optional(),
  minSeverity: z.number().min(0).max(10).optional(),
  exemptions: z
    .object({
      tagKey: z.string().min(1).max(128).optional(),
      resources: z.array(z.string().min(1)).optional(),
      accounts: z.array(z.string().regex(/^\d{12}$/, 'an account id is 12 digits')).optional(),
    })
    .strict()
    .optional(),
  onVerifyFailure: z.enum(['escalate', 'rollback']).optional(),
  allowSecurityRollback: z.boolean().optional(),
  healthGuard: z
    .object({ alarms: z.array(z.string().min(1)).min(1), bakeTimeMs: duration(0, 7 * DAY) })
    .strict()
    .optional(),
  breaker: windowLimit.optional(),
  flapping: windowLimit.optional(),
  allowTagExemption: z.boolean().optional(),
  containmentDeadlineMs: duration(1000, 6 * HOUR).optional(),
  options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
};

const accountOrSelf = z
  .string()
  .regex(/^(\d{12}|self|\*)$/, "an account id is 12 digits (or 'self', or '*')");
const arnPattern = z
  .string()
  .min(1)
  .max(2048)
  .regex(
    /^(\*|arn:[^\s]+)$/,
    "an approver is an ARN pattern ('arn:aws:sts::self:assumed-role/Security*/*') or '*'",
  );

/** Whom and what the worker trusts (docs/architecture.md, Trust model); every field has a fail-closed default. */
const trustSchemaFor = (playbookIds: readonly [string, ...string[]]) =>
  z
    .object({
      accounts: z.array(accountOrSelf).min(1).optional(),
      regions: z
        .array(z.string().regex(/^([a-z]{2}(-[a-z]+)+-\d|global)$/, 'a region name'))
        .min(1)
        .optional(),
      delegatedAdminAccounts: z.array(z.string().regex(/^\d{12}$/, 'an account id is 12 digits')).optional(),
      maxEventAgeMs: duration(60_000, 90 * DAY).optional(),
      confirmAtSource: z.boolean().optional(),
      protectedPrincipals: z.array(z.string().min(1).max(128)).optional(),
      protectedTagKey: z.string().min(1).max(128).optional(),
      approvers: z
        .partialRecord(z.union([z.literal('*'), z.enum(playbookIds)]), z.array(arnPattern))
        .optional(),
      allowUnsignedDecisions: z.boolean().optional(),
    })
    .strict();

const partialSettings = z.object(settingsShape).partial().strict();

/**
 * Schema of a policy file whose playbooks are `playbookIds` (the catalogue's, and those its `playbookModules` add:
 * load-policy.ts checks the modules first, then the rest of the file against this).
 */
export function policySchemaFor(playbookIds: readonly [string, ...string[]]) {
  return z
    .object({
      version: z.literal(1),
      cooldownMs: duration(0, 7 * DAY),
      routes: z.array(
        z
          .object({
            source: z.enum(['aws.config', 'aws.guardduty', 'aws.cloudwatch', 'aws.securityhub']),
            controls: z.array(z.string().min(1)).min(1),
            playbook: z.enum(playbookIds),
            minSeverity: z.number().min(0).max(10).optional(),
            resourceType: z.string().min(1).optional(),
          })
          .strict(),
      ),
      routeDeclaredTriggers: z.boolean().optional(),
      playbookModules: z.array(z.string().min(1)).max(100).optional(),
      defaults: z.object(settingsShape).strict(),
      playbooks: z.partialRecord(z.enum(playbookIds), partialSettings).default({}),
      controls: z.record(z.string().min(1), partialSettings).optional(),
      crossAccount: z
        .object({
          roleName: z.string().regex(/^[\w+=,.@-]{1,64}$/, 'an IAM role name'),
          externalId: z.string().min(2).max(1224).optional(),
          sessionDurationSeconds: z.number().int().min(900).max(43_200).optional(),
        })
        .strict()
        .optional(),
      trust: trustSchemaFor(playbookIds).optional(),
    })
    .strict()
    .superRefine((policy, ctx) => {
      // A security fix that rolls itself back on a failed verification would let whoever can fail the check undo it.
      const rollbackProblem = (kind: PlaybookKind, s: z.infer<typeof partialSettings>, inherited: boolean) =>
        s.onVerifyFailure === 'rollback' &&
        kind !== 'availability' &&
        !(s.allowSecurityRollback ?? (inherited ? policy.defaults.allowSecurityRollback : false));
      for (const id of playbookIds) {
        const def = definitionOf(id);
        if (!def) continue;
        const own = policy.playbooks[id] ?? {};
        const effective = { ...policy.defaults, ...own };
        if (rollbackProblem(def.kind, effective, true)) {
          ctx.addIssue({
            code: 'custom',
            path: own.onVerifyFailure
              ? ['playbooks', id, 'onVerifyFailure']
              : ['defaults', 'onVerifyFailure'],
            message: `'rollback' is for availability playbooks; ${id} is a ${def.kind} playbook (set allowSecurityRollback: true to insist)`,
          });
        }
      }
      for (const [control, own] of Object.entries(policy.controls ?? {})) {
        const kinds = policy.routes
          .filter((r) => r.controls.includes(control))
          .flatMap((r) => {
            const def = definitionOf(r.playbook);
            return def ? [def.kind] : [];
          });
        if (own.onVerifyFailure === 'rollback' && kinds.some((k) => rollbackProblem(k, own, false))) {
          ctx.addIssue({
            code: 'custom',
            path: ['controls', control, 'onVerifyFailure'],
            message: `'rollback' is for availability playbooks; ${control} routes to a security playbook (set allowSecurityRollback: true to insist)`,
          });
        }
      }
    });
}

/** Schema of a policy file with the built-in playbooks only. */
export const policySchema = policySchemaFor(CATALOGUE_IDS as [string, ...string[]]);

/** Schema of a policy file with every playbook this process has loaded. */
export function currentPolicySchema() {
  return policySchemaFor(allPlaybookIds() as [string, ...string[]]);
}
