/**
 * `remediator status [workflowId]`: one execution's state (query), or the list of running remediations.
 */
import type { Client } from '@temporalio/client';
import type { ApprovalRequest } from '../domain/approval';
import type { RemediationSnapshot } from '../domain/remediation';
import { statusQuery, REMEDIATION_WORKFLOW_TYPE } from '../workflows/definitions';
import { PlaybookKey, RemediationStatusKey } from '../domain/search-attributes';

/** Formats one execution's snapshot for a terminal. */
export function formatSnapshot(workflowId: string, s: RemediationSnapshot): string {
  const lines = [
    `${workflowId}`,
    `  phase:    ${s.phase}`,
    `  resource: ${s.resource.resourceType} ${s.resource.resourceId} (${s.resource.account}/${s.resource.region})`,
    ...(s.current ? [`  current:  ${s.current.playbook} for ${s.current.finding.control}`] : []),
    ...(s.awaitingApproval ? formatApprovalRequest(s.awaitingApproval) : []),
    `  queued: ${s.queued}   repeats absorbed: ${s.repeats}   compliance signals: ${s.compliantSignals}`,
    ...s.outcomes.map((o) => `  outcome:  ${o.status} ${o.playbook} (${o.finding.control}): ${o.reason}`),
  ];
  return lines.join('\n');
}

/** What waits for a decision, and how to give it. */
function formatApprovalRequest(ask: ApprovalRequest): string[] {
  return [
    `  awaiting approval: request ${ask.requestId} (expires ${ask.expiresAt})`,
    `    why:  ${ask.why}`,
    ...ask.plan.map((p) => `    plan: ${p.step}: ${p.description}`),
    `    decide with: remediator approve|reject <workflowId> --reason '...' --request '${ask.requestId}'`,
  ];
}

/** Filters for the list of running remediations. */
export interface StatusOptions {
  /** Only those waiting for an approval decision. */
  readonly awaitingApproval?: boolean;
}

/** Runs the command. */
export async function status(
  client: Client,
  workflowId?: string,
  options: StatusOptions = {},
): Promise<string> {
  if (workflowId) {
    const snapshot = await client.workflow.getHandle(workflowId).query(statusQuery);
    return formatSnapshot(workflowId, snapshot);
  }
  const rows: string[] = [];
  const awaiting = options.awaitingApproval ? ` AND ${RemediationStatusKey.name} = 'AWAITING_APPROVAL'` : '';
  const query = `WorkflowType = '${REMEDIATION_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'${awaiting}`;
  for await (const execution of client.workflow.list({ query })) {
    const sa = execution.typedSearchAttributes;
    rows.push(
      `${String(sa.get(RemediationStatusKey) ?? '?').padEnd(20)} ${String(sa.get(PlaybookKey) ?? '?').padEnd(24)} ${execution.workflowId}`,
    );
    if (rows.length >= 200) break;
  }
  return rows.length
    ? [`${'STATUS'.padEnd(20)} ${'PLAYBOOK'.padEnd(24)} WORKFLOW ID`, ...rows].join('\n')
    : options.awaitingApproval
      ? 'No remediation is waiting for approval.'
      : 'No running remediations.';
}
