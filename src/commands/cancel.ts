/**
 * `remediator cancel <workflowId> --reason …`: asks Temporal to cancel a running remediation, after telling it who
 * asks and why, so the `CANCELLED` outcome names them (the Web UI's "Request Cancellation" cannot). What the run
 * changed is compensated or, for containment, kept: docs/architecture.md, Cancellation.
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { cancellationNoteSignal } from '../workflows/definitions';
import type { CancellationNote } from '../workflows/definitions';
import { DecisionRefusedError } from './decide';

/** Sends the note, then the cancellation request, to the execution's current run; returns what was asked. */
export async function cancelRemediation(
  client: Client,
  workflowId: string,
  note: CancellationNote,
): Promise<string> {
  if (!workflowId.startsWith('remediation/')) {
    throw new DecisionRefusedError(
      `'${workflowId}' is not a remediation (remediation/<account>/<region>/<type>/<id>)`,
    );
  }
  if (note.reason.trim() === '') throw new DecisionRefusedError('--reason must say why');
  let runId: string;
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    if (description.status.name !== 'RUNNING') {
      throw new DecisionRefusedError(`${workflowId} is not running (${description.status.name})`);
    }
    runId = description.runId;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new DecisionRefusedError(`no remediation ${workflowId}`, { cause: err });
    }
    throw err;
  }
  // Both to the same run: a note sent to one run and a cancellation to the next would name nobody.
  const handle = client.workflow.getHandle(workflowId, runId);
  await handle.signal(cancellationNoteSignal, note);
  await handle.cancel();
  return (
    `cancellation of ${workflowId} (run ${runId}) requested by ${note.by}: ${note.reason}\n` +
    '  mid-remediation, what it changed is restored from the recorded prior state (containment is kept) and the ' +
    'outcome CANCELLED is notified; in its cool-down the execution just ends, its outcomes as they were'
  );
}
