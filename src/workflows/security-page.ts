/**
 * A security record from workflow code (docs/architecture.md, Trust model): what the worker refused or what switches
 * remediation off is audited and pages on-call. Best effort with the notification activities' long retries: the
 * decision it reports stands even if the page is lost.
 */
import { log, workflowInfo } from '@temporalio/workflow';
import type { AuditRecord } from '../domain/audit-record';
import type { ResourceRef } from '../domain/finding';
import { activitiesWith, NOTIFY_ACTIVITY_OPTIONS } from './activity-proxies';
import { failureMessage } from './finding/failures';

/** What a security record says; the rest (kind, execution, time) is filled in. */
export interface SecurityEvent {
  readonly resource: ResourceRef;
  readonly status: AuditRecord['status'];
  readonly reason: string;
  /** Shown in the UI as the page's activity summary. */
  readonly summary: string;
}

/** Pages on-call and writes the audit record of a security event of this execution. */
export async function pageSecurity(event: SecurityEvent): Promise<void> {
  const record: AuditRecord = {
    kind: 'security',
    workflowId: workflowInfo().workflowId,
    runId: workflowInfo().runId,
    resource: event.resource,
    playbook: '*',
    status: event.status,
    reason: event.reason,
    at: new Date().toISOString(),
  };
  const notify = activitiesWith(NOTIFY_ACTIVITY_OPTIONS);
  try {
    await Promise.all([
      notify.notifyOncall.executeWithOptions({ ...NOTIFY_ACTIVITY_OPTIONS, summary: event.summary }, [
        record,
      ]),
      notify.recordAudit.executeWithOptions({ ...NOTIFY_ACTIVITY_OPTIONS, summary: 'Audit record' }, [
        record,
      ]),
    ]);
  } catch (err) {
    log.error('Could not deliver a security record', { reason: event.reason, error: failureMessage(err) });
  }
}
