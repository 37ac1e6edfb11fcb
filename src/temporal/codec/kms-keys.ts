/**
 * Envelope encryption under a KMS key (`PAYLOAD_KMS_KEY_ID`): each process asks KMS once for a data key
 * (GenerateDataKey, AES_256), encrypts its payloads with it and stores the KMS-wrapped data key in each payload's
 * metadata (`encryption-data-key`). Decoding unwraps a data key with KMS Decrypt once and caches it; the key id in the
 * payload is derived from the wrapped key, so it names the data key without revealing anything.
 *
 * KMS is reached through `KmsDataKeys`, so the envelope logic does not depend on the SDK: `awsKmsDataKeys` adapts an
 * injected `@aws-sdk/client-kms` client.
 */
import { createHash } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import { UnknownPayloadKeyError } from './aes-gcm-codec';
import type { EncryptionKey, PayloadKeyProvider } from './aes-gcm-codec';
import { SecretKey } from './secret-key';

/** Metadata holding the KMS-wrapped data key. */
export const DATA_KEY_METADATA = 'encryption-data-key';

/** The two KMS calls envelope encryption needs. */
export interface KmsDataKeys {
  /** A fresh 256-bit data key under `kmsKeyId`: its plaintext and its KMS ciphertext. */
  generateDataKey(kmsKeyId: string): Promise<{ plaintext: Uint8Array; ciphertext: Uint8Array }>;
  /** The plaintext of a wrapped data key. */
  decrypt(ciphertext: Uint8Array): Promise<Uint8Array>;
}

/** The id a wrapped data key is known by in payload metadata. */
export function dataKeyId(ciphertext: Uint8Array): string {
  return `kms-${createHash('sha256').update(ciphertext).digest('hex').slice(0, 24)}`;
}

/** Bound on unwrapped data keys kept in memory (one per writing process, so a few in practice). */
const CACHE_LIMIT = 256;

/**
 * Envelope keys under `kmsKeyId`; `fallback` keys (from `PAYLOAD_ENCRYPTION_KEYS`) still decode payloads written before
 * the switch to KMS.
 */
export function kmsEnvelopeKeys(
  kms: KmsDataKeys,
  kmsKeyId: string,
  fallback: ReadonlyMap<string, SecretKey> = new Map(),
): PayloadKeyProvider {
  let current: Promise<EncryptionKey> | undefined;
  const unwrapped = new Map<string, Promise<SecretKey>>();

  const generate = async (): Promise<EncryptionKey> => {
    const { plaintext, ciphertext } = await kms.generateDataKey(kmsKeyId);
    const keyId = dataKeyId(ciphertext);
    const key = new SecretKey(plaintext);
    unwrapped.set(keyId, Promise.resolve(key));
    return { keyId, key, metadata: { [DATA_KEY_METADATA]: Uint8Array.from(ciphertext) } };
  };

  return {
    encryptionKey() {
      current ??= generate().catch((err: unknown) => {
        current = undefined; // the next payload asks KMS again
        throw err;
      });
      return current;
    },
    async decryptionKey(keyId, metadata) {
      const wrapped = metadata[DATA_KEY_METADATA];
      if (!wrapped?.length) {
        const key = fallback.get(keyId);
        if (key) return key;
        throw new UnknownPayloadKeyError(
          `payload was encrypted with key '${keyId}', which is neither a KMS data key nor in PAYLOAD_ENCRYPTION_KEYS`,
        );
      }
      if (dataKeyId(wrapped) !== keyId) {
        throw new UnknownPayloadKeyError(`payload names key '${keyId}' but carries another data key`);
      }
      let key = unwrapped.get(keyId);
      if (!key) {
        key = kms.decrypt(wrapped).then(
          (plaintext) => new SecretKey(plaintext),
          (err: unknown) => {
            unwrapped.delete(keyId);
            throw new UnknownPayloadKeyError(
              `KMS could not unwrap data key '${keyId}': ${err instanceof Error ? err.name : 'error'}`,
            );
          },
        );
        if (unwrapped.size >= CACHE_LIMIT) {
          const [oldest] = unwrapped.keys();
          if (oldest !== undefined) unwrapped.delete(oldest);
        }
        unwrapped.set(keyId, key);
      }
      return key;
    },
  };
}

/** Binds each data key to its purpose: KMS refuses to unwrap it for any other. */
const ENCRYPTION_CONTEXT = { purpose: 'temporal-payload', app: 'remediator' };

/** The region of a KMS key ARN, if the id is one (a bare key id or alias uses the SDK's region chain). */
export function kmsKeyRegion(kmsKeyId: string): string | undefined {
  return /^arn:aws[a-z-]*:kms:([a-z0-9-]+):/.exec(kmsKeyId)?.[1];
}

/** `KmsDataKeys` over an injected KMS client. */
export function awsKmsDataKeys(client: KMSClient): KmsDataKeys {
  return {
    async generateDataKey(keyId) {
      const out = await client.send(
        new GenerateDataKeyCommand({
          KeyId: keyId,
          KeySpec: 'AES_256',
          EncryptionContext: ENCRYPTION_CONTEXT,
        }),
      );
      if (!out.Plaintext || !out.CiphertextBlob) throw new Error('KMS GenerateDataKey returned no key');
      return { plaintext: out.Plaintext, ciphertext: out.CiphertextBlob };
    },
    async decrypt(ciphertext) {
      const out = await client.send(
        new DecryptCommand({ CiphertextBlob: ciphertext, EncryptionContext: ENCRYPTION_CONTEXT }),
      );
      if (!out.Plaintext) throw new Error('KMS Decrypt returned no key');
      return out.Plaintext;
    },
  };
}
