/**
 * The execution's approval gate: holds the one request that waits, takes decisions by update or signal, and lets the
 * finding handler wait for a decision durably (a timer in history), with a timeout.
 */
import { condition, log, setHandler } from '@temporalio/workflow';
import { approvalProblem } from '../domain/approval';
import type {
  ApprovalDecision,
  ApprovalReceipt,
  ApprovalRequest,
  RecordedApproval,
} from '../domain/approval';
import { approvalSignal, approvalUpdate } from './definitions';

/** Waits for approvals; one request at a time (the execution handles one finding at a time). */
export class ApprovalGate {
  private pending: ApprovalRequest | undefined;
  private decided: RecordedApproval | undefined;

  /** Registers the update and signal handlers; call once, at the start of the workflow. */
  constructor() {
    setHandler(approvalUpdate, (decision) => this.take(decision), {
      validator: (decision) => {
        const problem = approvalProblem(this.pending, this.decided !== undefined, decision);
        if (problem) throw new Error(problem);
      },
    });
    setHandler(approvalSignal, (decision) => {
      const problem = approvalProblem(this.pending, this.decided !== undefined, decision);
      if (problem) {
        log.warn('Approval signal ignored', { problem, requestId: this.pending?.requestId });
        return;
      }
      this.take(decision);
    });
  }

  /** The request that waits, if any (for the status query). */
  get waiting(): ApprovalRequest | undefined {
    return this.pending;
  }

  /**
   * Takes decisions on `request` from now on, before `decide` waits for one: an operator who sees the execution
   * waiting can answer while the approval request is still being sent. (Only in-memory state: no command.)
   */
  open(request: ApprovalRequest): void {
    this.pending = request;
    this.decided = undefined;
  }

  /** Stops taking decisions on the open request (the finding ended without waiting for one, e.g. cancelled). */
  close(): void {
    this.pending = undefined;
    this.decided = undefined;
  }

  /** Waits for a decision on `request` (kept if it came after `open`); `undefined` when none came within `timeoutMs`. */
  async decide(request: ApprovalRequest, timeoutMs: number): Promise<RecordedApproval | undefined> {
    if (this.pending?.requestId !== request.requestId) this.open(request);
    try {
      const answered = await condition(() => this.decided !== undefined, timeoutMs);
      return answered ? this.decided : undefined;
    } finally {
      this.pending = undefined;
      this.decided = undefined;
    }
  }

  private take(decision: ApprovalDecision): ApprovalReceipt {
    const pending = this.pending;
    if (!pending) throw new Error('nothing in this execution is waiting for approval'); // unreachable after checks
    const decidedAt = new Date().toISOString();
    this.decided = {
      decision: decision.decision,
      reason: decision.reason.trim(),
      by: decision.by.trim(),
      requestId: pending.requestId,
      requestedAt: pending.requestedAt,
      decidedAt,
    };
    log.info('Approval decision recorded', {
      requestId: pending.requestId,
      decision: decision.decision,
      by: this.decided.by,
    });
    return { requestId: pending.requestId, decision: decision.decision, by: this.decided.by, decidedAt };
  }
}
