/**
 * The payload codec: AES-256-GCM over the whole original payload (metadata and data, protobuf-encoded), a fresh 12-byte
 * IV per payload, the key id in the payload's metadata and bound to the ciphertext as additional authenticated data.
 *
 * An encrypted payload is `{ metadata: { encoding: binary/encrypted, encryption-key-id: <id>[, encryption-data-key:
 * <KMS-wrapped data key>] }, data: iv ‖ ciphertext ‖ tag }`. Decoding passes every other payload through unchanged, so
 * histories written before encryption was switched on still read and replay. Runs outside the workflow sandbox only
 * (client, worker, codec server); errors name key ids, never keys.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { SecretKey } from './secret-key';

/** The `encoding` of an encrypted payload (what the Temporal samples and Web UI use). */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata naming the key a payload was encrypted with. */
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** The key to encrypt with now, and metadata to store beside the ciphertext (e.g. a KMS-wrapped data key). */
export interface EncryptionKey {
  readonly keyId: string;
  readonly key: SecretKey;
  readonly metadata?: Readonly<Record<string, Uint8Array>>;
}

/** Where the codec gets its keys: the environment's keyring, or KMS envelope encryption. */
export interface PayloadKeyProvider {
  /** The key new payloads are encrypted with. */
  encryptionKey(): Promise<EncryptionKey>;
  /** The key a payload names; throws `UnknownPayloadKeyError` naming the id when it has none. */
  decryptionKey(keyId: string, metadata: Readonly<Record<string, Uint8Array>>): Promise<SecretKey>;
}

/** A payload names a key this process does not have. */
export class UnknownPayloadKeyError extends Error {
  override readonly name = 'UnknownPayloadKeyError';
}

/** An encrypted payload could not be decrypted: tampered, truncated or malformed. Never passed through. */
export class PayloadDecryptionError extends Error {
  override readonly name = 'PayloadDecryptionError';
}

/** Additional authenticated data: moving a ciphertext under another key id fails authentication. */
function aad(keyId: string): Uint8Array {
  return textEncoder.encode(`${ENCRYPTED_ENCODING}\n${keyId}`);
}

/** Encrypts one payload with `key`. */
export function encryptPayload(payload: Payload, key: EncryptionKey): Payload {
  const plaintext = temporal.api.common.v1.Payload.encode(payload).finish();
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.key.bytes(), iv);
  cipher.setAAD(aad(key.keyId));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return {
    metadata: {
      encoding: textEncoder.encode(ENCRYPTED_ENCODING),
      [KEY_ID_METADATA]: textEncoder.encode(key.keyId),
      ...key.metadata,
    },
    data: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]),
  };
}

/** Whether a payload is one this codec encrypted. */
export function isEncrypted(payload: Payload): boolean {
  const encoding = payload.metadata?.encoding;
  return encoding !== undefined && textDecoder.decode(encoding) === ENCRYPTED_ENCODING;
}

/** The key id an encrypted payload names. */
export function keyIdOf(payload: Payload): string {
  const raw = payload.metadata?.[KEY_ID_METADATA];
  if (!raw?.length)
    throw new PayloadDecryptionError(`an encrypted payload has no ${KEY_ID_METADATA} metadata`);
  return textDecoder.decode(raw);
}

/** The AES-256-GCM payload codec over a key provider. */
export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keys: PayloadKeyProvider) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    if (payloads.length === 0) return payloads;
    const key = await this.keys.encryptionKey();
    return payloads.map((payload) => encryptPayload(payload, key));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map((payload) => this.decodeOne(payload)));
  }

  private async decodeOne(payload: Payload): Promise<Payload> {
    if (!isEncrypted(payload)) return payload;
    const keyId = keyIdOf(payload);
    const data = payload.data ?? new Uint8Array();
    if (data.length < IV_BYTES + TAG_BYTES) {
      throw new PayloadDecryptionError(
        `payload encrypted with key '${keyId}' is truncated (${data.length} bytes)`,
      );
    }
    const key = await this.keys.decryptionKey(keyId, payload.metadata ?? {});
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.bytes(), data.subarray(0, IV_BYTES));
      decipher.setAAD(aad(keyId));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      plaintext = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new PayloadDecryptionError(
        `payload encrypted with key '${keyId}' failed authentication: it was altered, or the key with that id is not the one it was encrypted with`,
      );
    }
    const original = temporal.api.common.v1.Payload.decode(plaintext);
    return { metadata: { ...original.metadata }, data: original.data };
  }
}
