/**
 * Loads the policy file named by `REMEDIATION_POLICY` (YAML, or JSON which is YAML too) and validates it; every error
 * names the file, the line and the field, so a typo is fixed in one go.
 */
import { readFileSync } from 'node:fs';
import { isMap, isNode, LineCounter, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import type { RemediationPolicy } from '../domain/policy';
import { DEFAULT_POLICY } from './default-policy';
import { policySchema } from './policy-schema';
import { KIT_PLAYBOOKS } from '../playbooks';
import { declaredRoutes } from '../playbooks/kit-routes';

/** Thrown for an unreadable or invalid policy file. */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
}

/** Where in the source text a field is, when the text is known. */
type Locate = (path: readonly PropertyKey[], key?: string) => string;

/** Validates an already-parsed policy document. */
export function parsePolicy(
  document: unknown,
  origin = 'policy',
  locate: Locate = () => '',
): RemediationPolicy {
  const result = policySchema.safeParse(document);
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
  return { ...policy, routes: [...policy.routes, ...declaredRoutes(KIT_PLAYBOOKS)] };
}

/** Parses policy text (YAML or JSON) and validates it, naming lines in errors. */
export function parsePolicyText(text: string, origin: string): RemediationPolicy {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const at = e.linePos?.[0];
      return `${at ? `line ${at.line}, column ${at.col}: ` : ''}${e.message.split('\n')[0]}`;
    });
    throw new PolicyError(`${origin} is not valid YAML/JSON:\n  ${problems.join('\n  ')}`);
  }
  return parsePolicy(doc.toJS(), origin, locator(doc, lineCounter));
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
  return parsePolicyText(text, `REMEDIATION_POLICY ${path}`);
}
