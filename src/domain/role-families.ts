/**
 * Role families (docs/deployment.md, Roles per playbook family): in an account it remediates, the worker assumes a
 * different role for each kind of change, so a configuration fix can never touch IAM and an IAM containment can
 * never touch an instance. Reads that serve every playbook (confirming a finding at its detector, exemption tags,
 * reporting back) use the base role, which changes nothing.
 */

/** The kinds of change a member account grants, one role each. */
export type RoleFamily =
  'detection' | 'configuration' | 'network-containment' | 'iam-containment' | 'availability';

/** Every family, in the order docs and templates list them. */
export const ROLE_FAMILIES: readonly RoleFamily[] = [
  'detection',
  'configuration',
  'network-containment',
  'iam-containment',
  'availability',
];

/** What each family's role name adds to the base name (`detection` is the base role itself). */
const SUFFIX: Record<RoleFamily, string> = {
  detection: '',
  configuration: '-Config',
  'network-containment': '-Network',
  'iam-containment': '-Iam',
  availability: '-Availability',
};

/** The role name of a family, from the base name (`RemediatorMemberRole` → `RemediatorMemberRole-Network`). */
export function familyRoleName(baseRoleName: string, family: RoleFamily): string {
  return `${baseRoleName}${SUFFIX[family]}`;
}
