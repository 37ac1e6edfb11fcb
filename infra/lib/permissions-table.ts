/**
 * The IAM statements each role holds, as a markdown table for docs/deployment.md (kept in step by a test: regenerate
 * with `npx tsx infra/bin/permissions-table.ts`). One row per statement; the denies that bound the escalation
 * primitives follow the Allows.
 */
import { ROLE_FAMILIES } from '../../src/domain/role-families';
import { DENIED_INSTANCE_ATTRIBUTES, instanceAttributeDenies } from './instance-attribute-bounds';
import { groupResources } from './policy-statements';
import { PRINCIPAL_WRITES, protectedPrincipals } from './protected-principals';
import { FAMILY_PERMISSIONS, INGEST_PERMISSIONS, WORKER_SELF_PERMISSIONS } from './worker-permissions';
import type { PermissionGroup } from './worker-permissions';

type Row = readonly [
  role: string,
  sid: string,
  effect: string,
  actions: string,
  resources: string,
  why: string,
];

const code = (items: readonly string[]) => items.map((i) => `\`${i}\``).join(', ');

/** A condition block in words: `Null: false` reads "is set". */
function conditionText(conditions: PermissionGroup['conditions']): string {
  return Object.entries(conditions ?? {})
    .flatMap(([operator, keys]) =>
      Object.entries(keys).map(([key, value]) =>
        operator === 'Null' && value === 'false'
          ? `\`${key}\` is set`
          : `${operator} \`${key}\` ${code([value].flat())}`,
      ),
    )
    .join(' and ');
}

function allowRow(role: string, g: PermissionGroup): Row {
  const resources = g.resources === 'self' ? (g.scope ?? "this stack's") : code(groupResources(g, 'aws'));
  const when = g.conditions ? `, only if ${conditionText(g.conditions)}` : '';
  return [role, g.sid, 'Allow', code(g.actions), `${resources}${when}`, g.why];
}

/** The denies, with the default names (the stacks use the policy's names and tag, and the deployment's role names). */
function denyRows(): Row[] {
  const names = protectedPrincipals({
    workerRoleName: 'RemediatorWorker',
    memberRoleName: 'RemediatorMemberRole',
  }).names;
  const iamRoles = 'iam-containment, worker';
  const instance = instanceAttributeDenies().map((s): Row => {
    const json = s.toStatementJson() as { Sid: string; Condition: Record<string, Record<string, unknown>> };
    const [operator, keys] = Object.entries(json.Condition)[0] ?? ['', {}];
    const [key, value] = Object.entries(keys)[0] ?? ['', ''];
    const when =
      operator === 'Null' ? `\`${key}\` is set` : `\`${key}\` is ${code([value as string].flat())}`;
    const attribute = /^Deny(\w+)Change$/.exec(json.Sid)?.[1] ?? '';
    return [
      'network-containment, worker',
      json.Sid,
      'Deny',
      '`ec2:ModifyInstanceAttribute`',
      `\`*\`, if ${when}`,
      DENIED_INSTANCE_ATTRIBUTES[attribute] ??
        'the same four attributes, named by the `Attribute` parameter instead',
    ];
  });
  return [
    [
      iamRoles,
      'ProtectedPrincipalsByName',
      'Deny',
      code(PRINCIPAL_WRITES),
      `\`arn:aws:iam::*:*/<name>\` (a user or role at any path) for ${code(names)}; in the central stack also the ingest role`,
      "the remediator's own roles and the policy's protected principals (`trust.protectedPrincipals`) are never changed",
    ],
    [
      iamRoles,
      'ProtectedPrincipalsByTag',
      'Deny',
      code(PRINCIPAL_WRITES),
      '`arn:aws:iam::*:user/*`, `arn:aws:iam::*:role/*`, if `aws:ResourceTag/remediator:protected` is set',
      'a user or role carrying the protected tag (`trust.protectedTagKey`), whatever its value, is never changed',
    ],
    ...instance,
  ];
}

/** Every row: each member family (the worker holds them all), the worker's own, the ingest role's, the denies. */
export function permissionRows(): Row[] {
  return [
    ...ROLE_FAMILIES.flatMap((family) => FAMILY_PERMISSIONS[family].map((g) => allowRow(family, g))),
    ...WORKER_SELF_PERMISSIONS.map((g) => allowRow('worker', g)),
    ...INGEST_PERMISSIONS.map((g) => allowRow('ingest', g)),
    ...denyRows(),
  ];
}

/** The markdown table: role, statement, effect, actions, resources, why. */
export function permissionsTable(): string {
  const rows = permissionRows().map((cells) => `| ${cells.join(' | ')} |`);
  return [
    '| role | statement | effect | actions | resources | why |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
