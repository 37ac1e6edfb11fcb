/** A thrown value as an Error (a non-Error becomes one with its string form as message). */
export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
