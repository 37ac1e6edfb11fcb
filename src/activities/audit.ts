/**
 * The audit trail ("dashboard" in the seed): every outcome and escalation as a JSON object in `AUDIT_BUCKET`, or a
 * structured log line when no bucket is configured. Object keys are deterministic per record, so a retried activity
 * overwrites its own object instead of adding a second one.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Context } from '@temporalio/activity';
import type { AuditRecord } from '../domain/audit-record';
import type { AwsClients } from '../aws/clients';
import { classified } from './aws-errors';
import { activityAbortSignal } from './abort-signal';

/** Where audit records go. */
export interface AuditDeps {
  readonly clients: AwsClients;
  /** Bucket for records; unset ⇒ records are logged only. */
  readonly auditBucket?: string;
  /** Region of the audit bucket and the worker's own resources. */
  readonly region: string;
}

/** Object key of an audit record: by date, then execution, then what it records. */
export function auditKey(record: AuditRecord): string {
  const day = record.at.slice(0, 10);
  const safeId = record.workflowId.replace(/[^A-Za-z0-9/._-]/g, '_');
  return `audit/${day}/${safeId}/${record.runId}/${record.kind}-${record.at}.json`;
}

/** Builds `recordAudit`. */
export function createAuditActivities(deps: AuditDeps) {
  return {
    /** Writes one audit record. */
    async recordAudit(record: AuditRecord): Promise<void> {
      const ctx = Context.current();
      if (!deps.auditBucket) {
        ctx.log.info('Audit record', { record });
        return;
      }
      const key = auditKey(record);
      const bucket = deps.auditBucket;
      await classified('write audit record', () =>
        deps.clients.s3('self', deps.region).send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: JSON.stringify(record, null, 2),
            ContentType: 'application/json',
          }),
          { abortSignal: activityAbortSignal() },
        ),
      );
      ctx.log.info('Audit record written', { bucket, key });
    },
  };
}
