/**
 * SHA-256 and HMAC-SHA256 over `node:crypto`, in the `Checksum` shape `@smithy/signature-v4` asks for
 * (docs/architecture.md, Trust model: signed operator decisions are SigV4-presigned STS requests). The SDK's own
 * implementation lives in packages we do not depend on directly; Node's is native and already here.
 */
import { createHash, createHmac, createSecretKey } from 'node:crypto';
import type { Hash, Hmac, KeyObject } from 'node:crypto';
import type { Checksum, SourceData } from '@aws-sdk/types';

function toBytes(data: SourceData): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/**
 * A hash, or an HMAC when constructed with a secret. One `digest()` per `reset()`, as the signer uses it (Node's hash
 * objects cannot be updated after their digest is read).
 */
export class Sha256 implements Checksum {
  readonly digestLength = 32;
  /** Held as a `KeyObject` (not printable, not in the JS heap as bytes) because `reset()` needs it again. */
  private readonly key: KeyObject | undefined;
  private hash: Hash | Hmac;

  /** `secret` given: HMAC-SHA256 keyed with it; otherwise plain SHA-256. */
  constructor(secret?: SourceData) {
    this.key = secret === undefined ? undefined : createSecretKey(toBytes(secret));
    this.hash = this.start();
  }

  /** Adds a chunk (strings as UTF-8). */
  update(data: SourceData): void {
    this.hash.update(toBytes(data));
  }

  /** The digest of everything added since construction or the last reset. */
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }

  /** Starts over with the same key. */
  reset(): void {
    this.hash = this.start();
  }

  private start(): Hash | Hmac {
    return this.key ? createHmac('sha256', this.key) : createHash('sha256');
  }
}
