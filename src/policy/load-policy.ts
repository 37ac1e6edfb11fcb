/**
 * Loads the policy file named by `REMEDIATION_POLICY` (YAML or JSON) and validates it; errors name the file and the
 * offending field.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { RemediationPolicy } from '../domain/policy';
import { DEFAULT_POLICY } from './default-policy';
import { policySchema } from './policy-schema';

/** Thrown for an unreadable or invalid policy file. */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
}

/** Validates an already-parsed policy document. */
export function parsePolicy(document: unknown, origin = 'policy'): RemediationPolicy {
  const result = policySchema.safeParse(document);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new PolicyError(`${origin} is invalid:\n  ${problems.join('\n  ')}`, { cause: result.error });
  }
  return result.data;
}

/** Reads the policy from a file, or returns the built-in default when no path is given. */
export function loadPolicy(path: string | undefined): RemediationPolicy {
  if (!path) return DEFAULT_POLICY;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PolicyError(`REMEDIATION_POLICY: cannot read ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch (err) {
    throw new PolicyError(`REMEDIATION_POLICY: ${path} is not valid YAML/JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parsePolicy(document, `REMEDIATION_POLICY ${path}`);
}
