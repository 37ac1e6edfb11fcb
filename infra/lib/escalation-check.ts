/**
 * Finds privilege-escalation primitives that a synthesized template grants without a bound (docs/deployment.md,
 * Escalation primitives). It reads every IAM policy of a CloudFormation template (role inline policies,
 * `AWS::IAM::Policy`, `AWS::IAM::ManagedPolicy`), groups the statements by the principal they apply to, and reports an
 * Allow that covers a primitive unless it is bounded: by a Condition on the Allow, by a Deny of the same principal that
 * names the action, or by naming only concrete resources (no `*` in the resource id).
 */

/** The maintained list: an Allow of any of these on `*`, unconditioned and undenied, lets the holder escalate. */
export const ESCALATION_PRIMITIVES: readonly string[] = [
  'iam:PutUserPolicy',
  'iam:PutRolePolicy',
  'iam:PutGroupPolicy',
  'iam:AttachUserPolicy',
  'iam:AttachRolePolicy',
  'iam:AttachGroupPolicy',
  'iam:CreatePolicyVersion',
  'iam:SetDefaultPolicyVersion',
  'iam:UpdateAssumeRolePolicy',
  'iam:PassRole',
  'iam:CreateAccessKey',
  'iam:UpdateAccessKey',
  'iam:CreateLoginProfile',
  'iam:UpdateLoginProfile',
  'iam:AddUserToGroup',
  'ec2:ModifyInstanceAttribute',
  'lambda:UpdateFunctionCode',
  'lambda:CreateFunction',
  'ssm:SendCommand',
  'ssm:StartSession',
  'sts:AssumeRole',
];

/** AWS managed policies that grant primitives on `*` by themselves (attached by ARN, so their text is not here). */
const DANGEROUS_MANAGED_POLICIES = ['AdministratorAccess', 'PowerUserAccess', 'IAMFullAccess'];

/** One primitive an Allow grants, and whether (and how) it is bounded. */
export interface PrimitiveGrant {
  /** Logical id of the role, user or group (or of the policy, when it is attached to none in this template). */
  readonly principal: string;
  readonly sid: string;
  readonly action: string;
  /** Why it is bounded; absent when it is not. */
  readonly boundBy?: 'condition' | 'deny' | 'concrete-resources';
}

interface Statement {
  readonly Sid?: string;
  readonly Effect?: string;
  readonly Action?: unknown;
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Condition?: Record<string, unknown>;
}

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

const list = (value: unknown): unknown[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** An IAM wildcard pattern (`*`, `?`) as a case-insensitive regular expression (action names ignore case). */
function patternOf(glob: string): RegExp {
  const source = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 'i');
}

const covers = (patterns: readonly unknown[], action: string): boolean =>
  patterns.some((p) => typeof p === 'string' && patternOf(p).test(action));

/** A resource as text: intrinsic functions become `<name>` placeholders (a placeholder names one resource). */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    // No `:` inside a placeholder (`AWS::Partition`), so the ARN's fields stay where they are.
    if ('Ref' in o) return `<${String(o.Ref).replace(/:/g, '_')}>`;
    if ('Fn::GetAtt' in o) return `<${list(o['Fn::GetAtt']).join('.').replace(/:/g, '_')}>`;
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(sep);
    }
    if ('Fn::Sub' in o) return String(list(o['Fn::Sub'])[0]).replace(/\$\{[^}]+\}/g, '<sub>');
  }
  return '*';
}

/** Whether a statement names only concrete resources: no `*` in any resource id (the part after the fifth `:`). */
function concreteResources(statement: Statement): boolean {
  if (statement.NotResource !== undefined) return false;
  const resources = list(statement.Resource).map(render);
  if (resources.length === 0) return false;
  return resources.every((r) => {
    if (r === '*') return false;
    const id = r.split(':').slice(5).join(':');
    return !(id === '' ? r : id).includes('*');
  });
}

/** The primitives an Allow statement grants (through `Action` patterns, or everything `NotAction` leaves out). */
function grantedPrimitives(statement: Statement): string[] {
  if (statement.NotAction !== undefined) {
    const excluded = list(statement.NotAction);
    return ESCALATION_PRIMITIVES.filter((p) => !covers(excluded, p));
  }
  const actions = list(statement.Action);
  return ESCALATION_PRIMITIVES.filter((p) => covers(actions, p));
}

/** Policy statements per principal, from every IAM construct in the template. */
function statementsByPrincipal(template: { Resources?: Record<string, Resource> }): Map<string, Statement[]> {
  const resources = template.Resources ?? {};
  const byPrincipal = new Map<string, Statement[]>();
  const add = (principal: string, statements: unknown) => {
    const current = byPrincipal.get(principal) ?? [];
    byPrincipal.set(principal, [...current, ...(list(statements) as Statement[])]);
  };
  const principalsOf = (props: Record<string, unknown>): string[] =>
    [...list(props.Roles), ...list(props.Users), ...list(props.Groups)].map((r) =>
      typeof r === 'object' && r && 'Ref' in r ? String(r.Ref) : `name:${render(r)}`,
    );
  for (const [id, resource] of Object.entries(resources)) {
    const props = resource.Properties ?? {};
    if (['AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group'].includes(resource.Type)) {
      byPrincipal.set(id, byPrincipal.get(id) ?? []);
      for (const policy of list(props.Policies) as Array<{ PolicyDocument?: { Statement?: unknown } }>) {
        add(id, policy.PolicyDocument?.Statement);
      }
      for (const arn of list(props.ManagedPolicyArns).map(render)) {
        const name = arn.split('/').pop() ?? '';
        if (arn.includes(':aws:policy/') && DANGEROUS_MANAGED_POLICIES.includes(name)) {
          add(id, { Sid: `managed:${name}`, Effect: 'Allow', Action: '*', Resource: '*' });
        }
      }
    }
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      const document = props.PolicyDocument as { Statement?: unknown } | undefined;
      const targets = principalsOf(props);
      for (const target of targets.length > 0 ? targets : [id]) add(target, document?.Statement);
    }
  }
  return byPrincipal;
}

/** Every primitive every Allow of the template grants, with its bound if it has one. */
export function primitiveGrants(template: object): PrimitiveGrant[] {
  const grants: PrimitiveGrant[] = [];
  for (const [principal, statements] of statementsByPrincipal(template)) {
    const denies = statements.filter((s) => s.Effect === 'Deny');
    for (const [i, statement] of statements.entries()) {
      if (statement.Effect !== 'Allow') continue;
      for (const action of grantedPrimitives(statement)) {
        const boundBy =
          statement.Condition && Object.keys(statement.Condition).length > 0
            ? 'condition'
            : denies.some((d) => covers(list(d.Action), action))
              ? 'deny'
              : concreteResources(statement)
                ? 'concrete-resources'
                : undefined;
        grants.push({ principal, sid: statement.Sid ?? `#${i}`, action, ...(boundBy ? { boundBy } : {}) });
      }
    }
  }
  return grants;
}

/** The primitives granted without any bound: what a test fails on. */
export function unboundedPrimitives(template: object): PrimitiveGrant[] {
  return primitiveGrants(template).filter((g) => g.boundBy === undefined);
}
