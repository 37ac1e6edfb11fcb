/**
 * A remediation cancelled while it works (the Web UI's "Request Cancellation", `temporal workflow cancel`,
 * `remediator cancel`): what it changed is compensated (configuration fixes) or kept (containment fails closed), and
 * the outcome `CANCELLED` is recorded, notified and audited, so no resource is left half-changed without a record.
 * Runs outside the cancelled scope: these activities must not be cancelled in turn.
 */
import { CancellationScope, log } from '@temporalio/workflow';
import type { Outcome } from '../../domain/remediation';
import type { CancellationNote } from '../definitions';
import { undoChanges } from './apply';
import type { FindingContext } from './context';
import { close } from './outcome';

/** Who asked when no note came: Temporal does not hand the requester's identity to workflow code. */
const UNNAMED_REQUESTER =
  'a cancellation request to Temporal (its identity is in the history: WorkflowExecutionCancelRequested)';

/** Ends a cancelled finding: undo or keep what changed, then record, notify and audit `CANCELLED`. */
export async function cancelled(ctx: FindingContext, note: CancellationNote | undefined): Promise<Outcome> {
  return CancellationScope.nonCancellable(async () => {
    const inFlight = ctx.draft.applying;
    ctx.draft.applying = undefined;
    const touched = inFlight !== undefined || ctx.draft.changes.some((c) => c.changed);
    const undo = touched && ctx.draft.prior ? await undoChanges(ctx, ctx.draft.prior, inFlight) : undefined;
    // A cancellation during an apply failure's compensation restores those steps again (restores are idempotent).
    const restored = [...new Set(ctx.draft.compensations.map((c) => c.step))];
    const what = !touched
      ? 'before any change'
      : [
          ...(restored.length ? [`restored ${restored.join(', ')} from the recorded prior state`] : []),
          ...(undo?.notes ?? []),
        ].join('; ') || 'nothing needed restoring';
    const who = note ? `${note.by} (${note.reason})` : UNNAMED_REQUESTER;
    log.warn('Remediation cancelled', {
      resourceId: ctx.resourceId,
      playbook: ctx.playbook,
      what,
      by: note?.by,
    });
    return close(ctx, 'CANCELLED', `cancelled by ${who}: ${what}`, true);
  });
}
