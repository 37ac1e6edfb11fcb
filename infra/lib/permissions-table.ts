/**
 * The IAM actions each role grants, as a markdown table for docs/deployment.md (kept in step by a test: regenerate with
 * `npx tsx infra/bin/permissions-table.ts`).
 */
import { INGEST_PERMISSIONS, REMEDIATION_PERMISSIONS, WORKER_SELF_PERMISSIONS } from './worker-permissions';
import type { PermissionGroup } from './worker-permissions';

const ROLES: ReadonlyArray<[string, readonly PermissionGroup[]]> = [
  ['worker, member role', REMEDIATION_PERMISSIONS],
  ['worker', WORKER_SELF_PERMISSIONS],
  ['ingest', INGEST_PERMISSIONS],
];

/** One row per statement: role, statement id, actions, resources, why. */
export function permissionsTable(): string {
  const rows = ROLES.flatMap(([role, groups]) =>
    groups.map((g) => {
      const actions = g.actions.map((a) => `\`${a}\``).join(', ');
      const resources = g.resources === 'any' ? '`*`' : (g.scope ?? "this stack's");
      return `| ${role} | ${g.sid} | ${actions} | ${resources} | ${g.why} |`;
    }),
  );
  return ['| role | statement | actions | resources | why |', '|---|---|---|---|---|', ...rows].join('\n');
}
