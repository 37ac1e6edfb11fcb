/**
 * Evaluates the statements of a synthesized resource policy for one request, as IAM does for the parts the stack's
 * policies use: explicit deny first, then allow; actions with `*`; `AWS: *` and service principals; the condition
 * operators ArnEquals/ArnLike, ArnNotEquals, StringEquals and Bool, with IAM's rule for a key the request does not
 * carry (a negated operator is then true, any other false). CloudFormation references (`Fn::GetAtt`, `Ref`,
 * `Fn::Join`) resolve to stand-in ARNs by logical id, so a test can speak of "the rule ConfigCompliance" by name.
 * Enough to check what the policies say, not a replacement for IAM's policy simulator.
 */

/** One request against a resource policy. */
export interface PolicyRequest {
  readonly action: string;
  /** `{ service: 'events.amazonaws.com' }` or `{ arn: 'arn:aws:iam::…:role/…' }`. */
  readonly principal: { readonly service: string } | { readonly arn: string };
  /** The request's condition keys (`aws:SourceArn`, `aws:PrincipalArn`, `aws:SecureTransport`, …). */
  readonly context: Readonly<Record<string, string>>;
}

/** What the policy decides. */
export type PolicyDecision = 'explicit-deny' | 'allow' | 'no-decision';

type Json = unknown;
type Statement = Record<string, Json>;

/** The stand-in ARN a reference to `logicalId` resolves to. */
export const standInArn = (logicalId: string): string => `arn:aws:test:::${logicalId}`;

/** Resolves CloudFormation intrinsics to strings (GetAtt/Ref: `standInArn(logicalId)`; pseudo parameters: `aws`). */
export function resolve(value: Json): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const object = value as Record<string, Json>;
  if ('Fn::GetAtt' in object) return standInArn(String((object['Fn::GetAtt'] as Json[])[0]));
  if ('Ref' in object) {
    const ref = String(object.Ref);
    return ref.startsWith('AWS::') ? 'aws' : standInArn(ref);
  }
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, Json[]];
    return parts.map(resolve).join(separator);
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

const list = (value: Json): Json[] => (Array.isArray(value) ? value : [value]);
const glob = (pattern: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');

function actionMatches(statement: Statement, action: string): boolean {
  return list(statement.Action).some((a) => glob(String(a)).test(action));
}

function principalMatches(statement: Statement, principal: PolicyRequest['principal']): boolean {
  const p = statement.Principal;
  if (p === '*') return true;
  const { AWS, Service } = (p ?? {}) as { AWS?: Json; Service?: Json };
  // `AWS: *` is everyone, services included (the deny-everyone statements rely on it).
  const everyone = list(AWS ?? []).some((a) => resolve(a) === '*');
  if ('service' in principal) {
    return everyone || list(Service ?? []).some((s) => resolve(s) === principal.service);
  }
  return everyone || list(AWS ?? []).some((a) => resolve(a) === principal.arn);
}

function conditionHolds(
  operator: string,
  key: string,
  expected: Json,
  context: PolicyRequest['context'],
): boolean {
  const values = list(expected).map(resolve);
  const actual = context[key];
  const negated = operator.includes('Not');
  if (actual === undefined) return negated;
  const equal = (v: string) => (operator.startsWith('ArnLike') ? glob(v).test(actual) : v === actual);
  switch (operator) {
    case 'ArnEquals':
    case 'ArnLike':
    case 'StringEquals':
      return values.some(equal);
    case 'ArnNotEquals':
    case 'StringNotEquals':
      return !values.some(equal);
    case 'Bool':
      return values.some((v) => v.toLowerCase() === actual.toLowerCase());
    default:
      throw new Error(`operator ${operator} not evaluated here`);
  }
}

function conditionsHold(statement: Statement, context: PolicyRequest['context']): boolean {
  const condition = (statement.Condition ?? {}) as Record<string, Record<string, Json>>;
  return Object.entries(condition).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => conditionHolds(operator, key, expected, context)),
  );
}

/** The decision of `statements` for `request`. */
export function evaluate(statements: readonly Statement[], request: PolicyRequest): PolicyDecision {
  const applying = statements.filter(
    (s) =>
      actionMatches(s, request.action) &&
      principalMatches(s, request.principal) &&
      conditionsHold(s, request.context),
  );
  if (applying.some((s) => s.Effect === 'Deny')) return 'explicit-deny';
  return applying.some((s) => s.Effect === 'Allow') ? 'allow' : 'no-decision';
}
