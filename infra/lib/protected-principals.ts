/**
 * Explicit denies that bound every role with an IAM write (the central worker role, the member `-Iam` role): it can
 * never change the permissions or credentials of a protected principal. Protected are the remediator's own roles, the
 * names the policy lists (`trust.protectedPrincipals`: by default `OrganizationAccountAccessRole`, `AWSReservedSSO_*`,
 * `AWSControlTower*`, `stacksets-exec-*`, `remediator-*`), and any user or role carrying the protected tag
 * (`trust.protectedTagKey`, default `remediator:protected`), whatever its value: the controls refuse a resource that
 * has the key (src/activities/controls.ts), so the denies do too.
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { DEFAULT_PROTECTED_PRINCIPALS, DEFAULT_PROTECTED_TAG } from '../../src/domain/policy';
import { familyRoleName, ROLE_FAMILIES } from '../../src/domain/role-families';

/**
 * Every IAM write on a user or role: policies (inline, managed, boundaries), trust, keys, passwords, groups, tags,
 * deletion. Wider than what any remediator role is allowed, so a later grant is bounded too.
 */
export const PRINCIPAL_WRITES: readonly string[] = [
  'iam:Add*',
  'iam:Attach*',
  'iam:Create*',
  'iam:Delete*',
  'iam:Detach*',
  'iam:Put*',
  'iam:Remove*',
  'iam:Tag*',
  'iam:Untag*',
  'iam:Update*',
];

/** Who the remediator never changes. */
export interface ProtectedPrincipals {
  /** Role or user names, IAM wildcards allowed; matched at any path (`AWSReservedSSO_*` live under `/aws-reserved/…`). */
  readonly names: readonly string[];
  /** ARNs of roles whose name CloudFormation picks (the ingest role). */
  readonly roleArns?: readonly string[];
  /** A user or role with this tag key, any value, is protected. */
  readonly tagKey: string;
}

/** The remediator's own role names: the worker role and every member family role. */
export function remediatorRoleNames(workerRoleName: string, memberRoleName: string): string[] {
  return [workerRoleName, ...ROLE_FAMILIES.map((family) => familyRoleName(memberRoleName, family))];
}

/** The protected principals of a deployment: its own roles plus the policy's names and tag (or their defaults). */
export function protectedPrincipals(options: {
  readonly workerRoleName: string;
  readonly memberRoleName: string;
  readonly policyNames?: readonly string[];
  readonly tagKey?: string;
  readonly roleArns?: readonly string[];
}): ProtectedPrincipals {
  return {
    names: [
      ...new Set([
        ...remediatorRoleNames(options.workerRoleName, options.memberRoleName),
        ...(options.policyNames ?? DEFAULT_PROTECTED_PRINCIPALS),
      ]),
    ],
    tagKey: options.tagKey ?? DEFAULT_PROTECTED_TAG,
    ...(options.roleArns ? { roleArns: options.roleArns } : {}),
  };
}

/** The two Deny statements: by name (and ARN), and by tag. */
export function protectedPrincipalDenies(
  scope: IConstruct,
  principals: ProtectedPrincipals,
): iam.PolicyStatement[] {
  const partition = Stack.of(scope).partition;
  return [
    new iam.PolicyStatement({
      sid: 'ProtectedPrincipalsByName',
      effect: iam.Effect.DENY,
      actions: [...PRINCIPAL_WRITES],
      // `*/name`: a role or user of that name at any path (`role/name`, `role/aws-reserved/…/name`, `user/name`).
      resources: [
        ...principals.names.map((name) => `arn:${partition}:iam::*:*/${name}`),
        ...(principals.roleArns ?? []),
      ],
    }),
    new iam.PolicyStatement({
      sid: 'ProtectedPrincipalsByTag',
      effect: iam.Effect.DENY,
      actions: [...PRINCIPAL_WRITES],
      resources: [`arn:${partition}:iam::*:user/*`, `arn:${partition}:iam::*:role/*`],
      // Present with any value: `Null` is false exactly when the principal carries the key.
      conditions: { Null: { [`aws:ResourceTag/${principals.tagKey}`]: 'false' } },
    }),
  ];
}

/** Adds the denies to a role. */
export function addProtectedPrincipalDenies(role: iam.Role, principals: ProtectedPrincipals): void {
  for (const statement of protectedPrincipalDenies(role, principals)) role.addToPolicy(statement);
}
