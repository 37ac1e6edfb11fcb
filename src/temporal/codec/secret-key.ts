/**
 * Key material that cannot leak by accident: its bytes are in a private field, and printing, logging or serialising
 * it yields `[redacted]`. Only the codec reads the bytes.
 */
import { inspect } from 'node:util';

/** A 256-bit key (AES-256-GCM) that prints as `[redacted]`. */
export class SecretKey {
  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    if (bytes.length !== 32) throw new RangeError(`a payload key must be 32 bytes, got ${bytes.length}`);
    this.#bytes = Uint8Array.from(bytes);
  }

  /** The raw key, for the cipher only. */
  bytes(): Uint8Array {
    return this.#bytes;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return 'SecretKey [redacted]';
  }
}
