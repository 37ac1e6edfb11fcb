/**
 * The policy file's schema (zod). Durations are milliseconds; unknown keys are rejected so a typo never silently
 * falls back to a default.
 */
import { z } from 'zod';
import { PLAYBOOKS } from '../domain/playbooks';

const playbookIds = Object.keys(PLAYBOOKS) as [string, ...string[]];

const retrySchema = z
  .object({
    initialIntervalMs: z.number().int().min(0),
    backoffCoefficient: z.number().min(1),
    maximumAttempts: z.number().int().min(1).max(100),
    maximumIntervalMs: z.number().int().min(1),
  })
  .strict();

const settingsShape = {
  mode: z.enum(['auto', 'approve', 'dryRun']),
  propagationWaitMs: z
    .number()
    .int()
    .min(0)
    .max(24 * 3600 * 1000),
  activityTimeoutMs: z
    .number()
    .int()
    .min(1000)
    .max(3600 * 1000),
  retry: retrySchema,
  approvalTimeoutMs: z
    .number()
    .int()
    .min(1000)
    .max(30 * 24 * 3600 * 1000)
    .optional(),
  options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
};

/** Schema of a policy file. */
export const policySchema = z
  .object({
    version: z.literal(1),
    cooldownMs: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600 * 1000),
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
    defaults: z.object(settingsShape).strict(),
    playbooks: z.record(z.enum(playbookIds), z.object(settingsShape).partial().strict()).default({}),
  })
  .strict();
