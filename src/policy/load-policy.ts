/**
 * Loads the policy file named by `REMEDIATION_POLICY` (YAML, or JSON which is YAML too) and validates it; every error
 * names the file, the line and the field, so a typo is fixed in one go.
 */
import { readFileSync } from 'node:fs';
import { isMap, isNode, LineCounter, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import type { RemediationPolicy } from '../domain/policy';
import { DEFAULT_POLICY } from './default-policy';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { currentPolicySchema } from './policy-schema';
import { allKitPlaybooks } from '../playbooks/catalogue';
import { declaredRoutes } from '../playbooks/kit-routes';
import { loadPlaybookModules } from '../playbooks/load-playbook-modules';
import { registerUserPlaybooks } from '../playbooks/user-playbooks';

/** Thrown for an unreadable or invalid policy file. */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
}

/** Where in the source text a field is, when the text is known. */
type Locate = (path: readonly PropertyKey[], key?: string) => string;

/**
 * Loads the playbook modules a policy document names (phase one of its check): relative to `baseDir`, registered
 * for this process. Without `baseDir` (a policy that is not a file) modules cannot be resolved and are refused.
 */
function loadNamedModules(document: unknown, origin: string, baseDir: string | undefined): void {
  const named = (document as { playbookModules?: unknown } | null)?.playbookModules;
  if (named === undefined) return;
  const paths = z.array(z.string().min(1)).max(100).safeParse(named);
  if (!paths.success)
    throw new PolicyError(`${origin} is invalid:
  playbookModules: a list of module paths`);
  if (paths.data.length === 0) return;
  if (baseDir === undefined) {
    throw new PolicyError(`${origin}: playbookModules needs a policy file (paths are relative to it)`);
  }
  try {
    const loaded = loadPlaybookModules(paths.data, baseDir);
    registerUserPlaybooks(loaded, origin);
  } catch (err) {
    throw new PolicyError(`${origin}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Validates an already-parsed policy document: first the playbook modules it names (loaded and registered), then the
 * whole document against the catalogue with them.
 */
export function parsePolicy(
  document: unknown,
  origin = 'policy',
  locate: Locate = () => '',
  baseDir?: string,
): RemediationPolicy {
  loadNamedModules(document, origin, baseDir);
  const result = currentPolicySchema().safeParse(document);
  if (!result.success) {
    const problems = result.error.issues.flatMap((issue) => {
      // An unknown key is reported on its parent object; name (and locate) each key itself.
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
      return keys.map((key) => {
        const field = [...issue.path, ...(key !== undefined ? [key] : [])].map(String).join('.') || '(root)';
        return `${locate(issue.path, key)}${field}: ${issue.message}`;
      });
    });
    throw new PolicyError(`${origin} is invalid:\n  ${problems.join('\n  ')}`, { cause: result.error });
  }
  return withDeclaredRoutes(result.data);
}

/** The policy with the kit playbooks' declared routes after its own, unless it says `routeDeclaredTriggers: false`. */
export function withDeclaredRoutes(policy: RemediationPolicy): RemediationPolicy {
  if (policy.routeDeclaredTriggers === false) return policy;
  return { ...policy, routes: [...policy.routes, ...declaredRoutes(allKitPlaybooks())] };
}

/**
 * Parses policy text (YAML or JSON) and validates it, naming lines in errors; `baseDir` is where its playbook modules
 * are (the policy file's directory).
 */
export function parsePolicyText(text: string, origin: string, baseDir?: string): RemediationPolicy {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const at = e.linePos?.[0];
      return `${at ? `line ${at.line}, column ${at.col}: ` : ''}${e.message.split('\n')[0]}`;
    });
    throw new PolicyError(`${origin} is not valid YAML/JSON:\n  ${problems.join('\n  ')}`);
  }
  return parsePolicy(doc.toJS(), origin, locator(doc, lineCounter), baseDir);
}

/** Finds the line of a field: the key itself when named, else the value, else the nearest ancestor that exists. */
function locator(doc: Document, lines: LineCounter): Locate {
  return (path, key) => {
    const keys = path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    for (let depth = keys.length; depth >= 0; depth -= 1) {
      const node: unknown = depth === 0 ? doc.contents : doc.getIn(keys.slice(0, depth), true);
      if (!isNode(node)) continue;
      let offset = node.range?.[0];
      if (depth === keys.length && key !== undefined && isMap(node)) {
        const pair = node.items.find((item) => isNode(item.key) && String(item.key.toJSON()) === key);
        if (pair && isNode(pair.key)) offset = pair.key.range?.[0] ?? offset;
      }
      if (offset !== undefined) return `line ${lines.linePos(offset).line}: `;
    }
    return '';
  };
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
  return parsePolicyText(text, `REMEDIATION_POLICY ${path}`, dirname(resolve(path)));
}
