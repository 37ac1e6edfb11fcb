/** The refusal every operator command reports without a stack trace (exit code 2). */

/** A decision the server or the workflow refused; the CLI prints the message without a stack trace. */
export class DecisionRefusedError extends Error {
  override readonly name = 'DecisionRefusedError';
}
