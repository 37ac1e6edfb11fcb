/**
 * Turns audit records into messages a person can read: a subject and body that say what happened to which resource
 * and where to look, followed by the machine-readable record.
 */
import type { AuditRecord } from '../domain/audit-record';

/** Where the Temporal Web UI lives, to link each execution. */
export interface UiLinkOptions {
  readonly temporalUiUrl: string;
  readonly namespace: string;
}

/** Link to the execution's history in the Temporal Web UI. */
export function executionLink(record: Pick<AuditRecord, 'workflowId' | 'runId'>, ui: UiLinkOptions): string {
  const base = ui.temporalUiUrl.replace(/\/+$/, '');
  return `${base}/namespaces/${encodeURIComponent(ui.namespace)}/workflows/${encodeURIComponent(record.workflowId)}/${encodeURIComponent(record.runId)}/history`;
}

/** SNS subjects must be at most 100 printable ASCII characters without line breaks. */
function subjectSafe(text: string): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= 100 ? ascii : `${ascii.slice(0, 97)}...`;
}

/** Subject and body for an SNS notification of an outcome or escalation. */
export function renderMessage(record: AuditRecord, ui: UiLinkOptions): { subject: string; body: string } {
  const r = record.resource;
  const where = `${r.account}/${r.region}`;
  const subject = subjectSafe(`[${record.status}] ${record.playbook} on ${r.resourceId} (${where})`);
  const outcome = record.outcome;
  const ask = record.approvalRequest;
  const lines = [
    headline(record),
    '',
    `Resource:  ${r.resourceType} ${r.resourceId}`,
    `Account:   ${r.account}   Region: ${r.region}`,
    `Playbook:  ${record.playbook}`,
    ...(outcome
      ? [`Finding:   ${outcome.finding.source} ${outcome.finding.control} (event ${outcome.finding.eventId})`]
      : []),
    ...(outcome?.changes.length
      ? ['Changes:', ...outcome.changes.map((c) => `  - ${c.step}: ${c.detail}`)]
      : []),
    ...(outcome?.compensations.length
      ? ['Compensations:', ...outcome.compensations.map((c) => `  - ${c.step}: ${c.detail}`)]
      : []),
    ...(outcome?.verification ? [`Verified:  ${outcome.verification.detail}`] : []),
    ...(outcome?.escalation?.ticket ? [`Ticket:    ${outcome.escalation.ticket}`] : []),
    ...(record.rollback?.restored.length
      ? ['Restored:', ...record.rollback.restored.map((c) => `  - ${c.step}: ${c.detail}`)]
      : []),
    ...(record.rollback?.drift.length
      ? ['Changed since the remediation:', ...record.rollback.drift.map((d) => `  - ${d}`)]
      : []),
    ...(outcome?.approval
      ? [`Decision:  ${outcome.approval.decision} by ${outcome.approval.by}: ${outcome.approval.reason}`]
      : []),
    ...(ask
      ? [
          `Control:   ${ask.control}`,
          'Plan (what approval lets it do):',
          ...ask.plan.map((p) => `  - ${p.step}: ${p.description}`),
          `Expires:   ${ask.expiresAt} (then it escalates)`,
          '',
          'To decide:',
          `  remediator approve '${record.workflowId}' --reason '...'`,
          `  remediator reject '${record.workflowId}' --reason '...'`,
          `  or, in the Web UI, send the signal 'approvalDecision' with`,
          `  {"decision": "approve", "reason": "...", "by": "<you>", "requestId": "${ask.requestId}"}`,
        ]
      : []),
    '',
    `Execution: ${executionLink(record, ui)}`,
    '',
    '--- machine-readable record ---',
    JSON.stringify(record),
  ];
  return { subject, body: lines.join('\n') };
}

/** The first line: what happened, in words. */
function headline(record: AuditRecord): string {
  switch (record.kind) {
    case 'escalation':
      return `A remediation needs a human: ${record.reason}.`;
    case 'approval-request':
      return `A remediation waits for your approval: ${record.reason}.`;
    case 'rollback':
      return `Operator rollback: ${record.reason}.`;
    default:
      return `Remediation ${record.status.toLowerCase().replace('_', ' ')}: ${record.reason}.`;
  }
}
