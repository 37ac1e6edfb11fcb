/**
 * The execution's approval gate: holds the one request that waits, takes decisions by update or signal, and lets the
 * finding handler wait for a decision durably (a timer in history), with a timeout. Who decided is what the worker
 * verified (docs/architecture.md, Trust model): each decision goes through the `checkDecision` activity before it is
 * taken, and a refused one changes nothing.
 */
import { ApplicationFailure, condition, log, setHandler } from '@temporalio/workflow';
import type { DecisionCheck } from '../activities/decisions';
import { approvalProblem } from '../domain/approval';
import type {
  ApprovalDecision,
  ApprovalReceipt,
  ApprovalRequest,
  RecordedApproval,
} from '../domain/approval';
import { approvalSignal, approvalUpdate, pendingApprovalQuery } from './definitions';

/** Asks the worker who made a decision on `request` and whether they may (the `checkDecision` activity). */
export type DecisionChecker = (
  decision: ApprovalDecision,
  request: ApprovalRequest,
) => Promise<DecisionCheck>;

/** Waits for approvals; one request at a time (the execution handles one finding at a time). */
export class ApprovalGate {
  private pending: ApprovalRequest | undefined;
  private decided: RecordedApproval | undefined;
  /** A decision whose identity is being checked: others wait their turn (refused meanwhile). */
  private checking = false;

  /** Registers the update, signal and query handlers; call once, at the start of the workflow. */
  constructor(private readonly check: DecisionChecker) {
    setHandler(
      approvalUpdate,
      async (decision) => {
        const taken = await this.verifyAndTake(decision);
        if ('refused' in taken)
          throw ApplicationFailure.create({ message: taken.refused, type: 'DecisionRefused' });
        return taken;
      },
      { validator: (decision) => this.validate(decision) },
    );
    setHandler(approvalSignal, async (decision) => {
      const problem = this.problem(decision);
      if (problem) {
        log.warn('Approval signal ignored', { problem, requestId: this.pending?.requestId });
        return;
      }
      const taken = await this.verifyAndTake(decision);
      if ('refused' in taken) log.warn('Approval signal refused', { problem: taken.refused });
    });
    setHandler(pendingApprovalQuery, () => this.pending);
  }

  private problem(decision: unknown): string | undefined {
    if (this.checking) return 'another decision on this request is being verified; try again in a moment';
    return approvalProblem(this.pending, this.decided !== undefined, decision);
  }

  private validate(decision: unknown): void {
    const problem = this.problem(decision);
    if (problem) throw new Error(problem);
  }

  /** Checks who decided, then takes the decision if the request still waits for one. */
  private async verifyAndTake(decision: ApprovalDecision): Promise<ApprovalReceipt | { refused: string }> {
    const pending = this.pending;
    if (!pending) return { refused: 'nothing in this execution is waiting for approval' };
    this.checking = true;
    let check: DecisionCheck;
    try {
      check = await this.check(decision, pending);
    } finally {
      this.checking = false;
    }
    if (!check.accepted) return { refused: check.reason };
    if (this.pending?.requestId !== pending.requestId || this.decided) {
      return { refused: `request ${pending.requestId} is no longer waiting for a decision` };
    }
    return this.take(decision, check.decider);
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

  private take(decision: ApprovalDecision, decider: string): ApprovalReceipt {
    const pending = this.pending;
    if (!pending) throw new Error('nothing in this execution is waiting for approval'); // unreachable after checks
    const decidedAt = new Date().toISOString();
    this.decided = {
      decision: decision.decision,
      reason: decision.reason.trim(),
      by: decider,
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
