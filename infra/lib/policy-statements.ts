/**
 * The permission tables (worker-permissions.ts) as IAM policy statements: `*`, or the group's ARN patterns in the
 * stack's partition, with the group's conditions.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import type { PermissionGroup } from './worker-permissions';

/** The group's ARN patterns (or `*`) with `{partition}` replaced; a `self` group has none here (the stack writes them). */
export function groupResources(group: PermissionGroup, partition: string): string[] {
  if (group.resources === 'self') throw new Error(`${group.sid}: its resources are the stack's own`);
  if (group.resources === 'any') return ['*'];
  return group.resources.map((arn) => arn.replace('{partition}', partition));
}

/** The Allow statement of one group, in the partition of `scope`'s stack. */
export function statementOf(scope: IConstruct, group: PermissionGroup): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: group.sid,
    actions: [...group.actions],
    resources: groupResources(group, Stack.of(scope).partition),
    ...(group.conditions ? { conditions: structuredClone(group.conditions) } : {}),
  });
}

/**
 * Adds the Allow statement of the group `sid` of `groups`, its actions from the table. A `self` group's resources are
 * the stack's own (its queue, topics, bucket, key), given in `own`; `own.as` names the statement differently where one
 * group serves under two names.
 */
export function addGroupNamed(
  role: iam.Role,
  groups: readonly PermissionGroup[],
  sid: string,
  own?: { readonly resources: string[]; readonly as?: string },
): void {
  const group = groups.find((g) => g.sid === sid);
  if (!group) throw new Error(`no permission group ${sid}`);
  if (group.resources !== 'self') {
    role.addToPolicy(statementOf(role, group));
    return;
  }
  if (!own?.resources.length) throw new Error(`${sid}: the stack's own resources are needed`);
  role.addToPolicy(
    new iam.PolicyStatement({ sid: own.as ?? sid, actions: [...group.actions], resources: own.resources }),
  );
}

/** Adds the Allow statement of every group to the role. */
export function addGroups(role: iam.Role, groups: readonly PermissionGroup[]): void {
  for (const group of groups) role.addToPolicy(statementOf(role, group));
}

/** Why each kind of wildcard resource of the tables is there, for cdk-nag's AwsSolutions-IAM5 acknowledgements. */
const WILDCARD_REASONS: Record<string, string> = {
  '*':
    'The remediation actions act on whatever resource a finding names; most (Describe*, Get*ByDefault, CloudWatch ' +
    'and Config reads) have no resource-level permission. The actions are exactly those the code calls (test/infra ' +
    'checks it), none is a wildcard.',
  'ec2:*:*:instance/*':
    'Any instance a finding names. ModifyInstanceAttribute is allowed only for two attributes (conditions) and denied ' +
    'for user data, type, kernel and ramdisk.',
  'iam::*:user/*':
    'Any user whose key a finding names; denied on every protected principal (by name and by tag).',
  'iam::*:role/*':
    'Any role whose session a finding names; denied on every protected principal (by name and by tag).',
};

/** Acknowledges the AwsSolutions-IAM5 findings of the groups' wildcard resources, each with its reason. */
export function acknowledgeWildcardResources(scope: IConstruct, groups: readonly PermissionGroup[]): void {
  const resources = new Set(
    groups
      .filter((g) => g.resources !== 'self')
      .flatMap((g) => groupResources(g, '<AWS::Partition>'))
      .filter((r) => r.includes('*')),
  );
  Validations.of(scope).acknowledge(
    ...[...resources].map((resource) => {
      const reason = WILDCARD_REASONS[resource.replace(/^arn:<AWS::Partition>:/, '')];
      if (!reason) throw new Error(`no reason recorded for the wildcard resource ${resource}`);
      return { id: `AwsSolutions::AwsSolutions-IAM5[Resource::${resource}]`, reason };
    }),
  );
}
