import { ApplicationFailure } from '@temporalio/activity';

/** Fails non-retryably when a playbook is asked for a step it does not have (a bug, never worth retrying). */
export function assertKnownStep(playbook: string, step: string, known: readonly string[]): void {
  if (!known.includes(step)) {
    throw ApplicationFailure.create({
      message: `${playbook} has no step '${step}'`,
      type: 'UnknownStep',
      nonRetryable: true,
    });
  }
}
