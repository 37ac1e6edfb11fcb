/** Thrown when a message cannot become a finding; the bridge dead-letters it with `reason`. Keeps the parse `cause`. */
export class IngestRejection extends Error {
  override readonly name = 'IngestRejection';
}
