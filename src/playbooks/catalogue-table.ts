/**
 * The kit playbooks' table in docs/playbooks.md and the README's count, written from their declarations (regenerate
 * with `npx tsx scripts/catalogue-table.ts`; a test fails when the docs differ).
 */
import type { AnyKitPlaybook } from '../kit/playbook-kit';
import { KIT_PLAYBOOKS } from './index';

const code = (s: string) => `\`${s}\``;

/** What routes to a playbook, in words. */
function triggersOf(p: AnyKitPlaybook): string {
  const { configRules, securityHubControls, guardDutyTypes, alarmMetrics } = p.triggers;
  return [
    ...(configRules ? [`Config ${Object.keys(configRules).map(code).join(', ')}`] : []),
    ...(securityHubControls?.length ? [`Security Hub ${securityHubControls.join(', ')}`] : []),
    ...(guardDutyTypes?.length ? [`GuardDuty ${guardDutyTypes.map(code).join(', ')}`] : []),
    ...(alarmMetrics?.length ? [`CloudWatch ${alarmMetrics.map(code).join(', ')}`] : []),
  ].join('; ');
}

/** One row per kit playbook: id, triggers, resource, steps, what it records, mode and failure. */
export function catalogueRows(playbooks: readonly AnyKitPlaybook[] = KIT_PLAYBOOKS): string[][] {
  return playbooks.map((p) => [
    code(p.id),
    triggersOf(p),
    code(p.resource.type),
    p.steps.length > 0
      ? p.steps.map((s) => `${s.title} (${s.onFailure})`).join('; ')
      : 'none: every finding is escalated (ticket and page)',
    // The state is a zod object in every declaration; its keys are what the prior state records, but for what AWS
    // changes by itself and the read time, which a rollback neither restores nor compares.
    Object.keys((p.state as { shape?: Record<string, unknown> }).shape ?? {})
      .filter((key) => key !== 'State' && key !== 'capturedAt')
      .map(code)
      .join(', '),
    `${p.kind}, ${p.defaultMode}`,
  ]);
}

/** The markdown table. */
export function catalogueTable(playbooks: readonly AnyKitPlaybook[] = KIT_PLAYBOOKS): string {
  const header = [
    'playbook',
    'triggers',
    'resource',
    'steps (on failure)',
    'recorded for rollback',
    'risk, default mode',
  ];
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...catalogueRows(playbooks).map(line)].join('\n');
}
