/**
 * `remediator status [workflowId]`: one execution's state (query), or the remediations from Temporal visibility by
 * the search attributes: running ones by default, recent ones with `--recent`, filtered by status, playbook, account.
 */
import type { Client } from '@temporalio/client';
import type { ApprovalRequest } from '../domain/approval';
import { ACCOUNT_ID_PATTERN } from '../domain/finding';
import { allPlaybookIds } from '../playbooks/catalogue';
import type { RemediationSnapshot } from '../domain/remediation';
import { AwsAccountKey, PlaybookKey, RemediationStatusKey } from '../domain/search-attributes';
import { statusQuery, REMEDIATION_WORKFLOW_TYPE } from '../workflows/definitions';
import { ROLLBACK_WORKFLOW_TYPE } from '../workflows/rollback-definitions';
import { DecisionRefusedError } from './decide';

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

/** Filters for the list. */
export interface StatusOptions {
  /** Only those waiting for an approval decision (same as `status: 'AWAITING_APPROVAL'`). */
  readonly awaitingApproval?: boolean;
  /** A `RemediationStatus` value: a phase (APPLYING…) or an outcome (ESCALATED…). */
  readonly status?: string;
  readonly playbook?: string;
  readonly account?: string;
  /** Also closed executions started within this many milliseconds (default: running ones only). */
  readonly recentMs?: number;
  /** At most this many rows (default 200). */
  readonly limit?: number;
}

const STATUS_VALUE = /^[A-Z_]{2,30}$/;

/** The visibility query for the options; every value is validated first (it is spliced into the query). */
export function listQuery(options: StatusOptions, now = new Date()): string {
  const types = [REMEDIATION_WORKFLOW_TYPE, ROLLBACK_WORKFLOW_TYPE].map((t) => `'${t}'`).join(', ');
  const clauses = [`WorkflowType IN (${types})`];
  clauses.push(
    options.recentMs !== undefined
      ? `StartTime >= '${new Date(now.getTime() - options.recentMs).toISOString()}'`
      : `ExecutionStatus = 'Running'`,
  );
  const status = options.awaitingApproval ? 'AWAITING_APPROVAL' : options.status;
  if (status !== undefined) {
    if (!STATUS_VALUE.test(status))
      throw new DecisionRefusedError(`--status '${status}' is not a status (e.g. ESCALATED)`);
    clauses.push(`${RemediationStatusKey.name} = '${status}'`);
  }
  if (options.playbook !== undefined) {
    if (!allPlaybookIds().includes(options.playbook)) {
      throw new DecisionRefusedError(
        `--playbook '${options.playbook}' is not one of ${allPlaybookIds().join(', ')}`,
      );
    }
    clauses.push(`${PlaybookKey.name} = '${options.playbook}'`);
  }
  if (options.account !== undefined) {
    if (!ACCOUNT_ID_PATTERN.test(options.account))
      throw new DecisionRefusedError(`--account '${options.account}' is not a 12-digit account id`);
    clauses.push(`${AwsAccountKey.name} = '${options.account}'`);
  }
  return clauses.join(' AND ');
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
  const limit = options.limit ?? 200;
  for await (const execution of client.workflow.list({ query: listQuery(options) })) {
    const sa = execution.typedSearchAttributes;
    const kind = execution.type === ROLLBACK_WORKFLOW_TYPE ? 'rollback' : String(sa.get(PlaybookKey) ?? '?');
    rows.push(
      [
        String(sa.get(RemediationStatusKey) ?? '?').padEnd(20),
        kind.padEnd(24),
        String(sa.get(AwsAccountKey) ?? '?').padEnd(13),
        execution.startTime.toISOString().slice(0, 19).padEnd(20),
        execution.workflowId,
      ].join(' '),
    );
    if (rows.length >= limit) break;
  }
  if (rows.length === 0) {
    return options.awaitingApproval || options.status === 'AWAITING_APPROVAL'
      ? 'No remediation is waiting for approval.'
      : options.recentMs !== undefined
        ? 'No remediation matches.'
        : 'No running remediations.';
  }
  const header = [
    'STATUS'.padEnd(20),
    'PLAYBOOK'.padEnd(24),
    'ACCOUNT'.padEnd(13),
    'STARTED'.padEnd(20),
    'WORKFLOW ID',
  ];
  return [header.join(' '), ...rows].join('\n');
}
