/**
 * The record every outcome, escalation, approval request and rollback sends to the audit trail and notifications:
 * the machine-readable part of every message. Plain JSON, never secrets.
 */
import type { ApprovalRequest } from './approval';
import type { ResourceRef } from './finding';
import type { Outcome, OutcomeStatus } from './remediation';
import type { RollbackResult } from './rollback';

/** A record sent to the audit trail and notifications: the machine-readable part of every message. */
export interface AuditRecord {
  /** `security`: a request the worker refused (forged or unconfirmed finding, refused decision): on-call hears of it. */
  readonly kind: 'outcome' | 'escalation' | 'ticket' | 'approval-request' | 'rollback' | 'security';
  readonly workflowId: string;
  readonly runId: string;
  readonly resource: ResourceRef;
  readonly playbook: string;
  readonly status: OutcomeStatus | 'ESCALATING' | 'AWAITING_APPROVAL';
  /** For `approval-request`: what waits and until when. */
  readonly approvalRequest?: ApprovalRequest;
  /** For `rollback`: what was restored, the drift found, and the exemption granted. */
  readonly rollback?: RollbackResult;
  readonly reason: string;
  readonly outcome?: Outcome;
  readonly at: string;
}
