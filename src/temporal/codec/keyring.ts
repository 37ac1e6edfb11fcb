/**
 * Keys from the environment (`PAYLOAD_ENCRYPTION_KEYS`): one encrypts, every one decrypts, so a key is rotated by
 * adding the new one first and removing the old one once no history needs it.
 */
import { UnknownPayloadKeyError } from './aes-gcm-codec';
import type { EncryptionKey, PayloadKeyProvider } from './aes-gcm-codec';
import type { SecretKey } from './secret-key';

/** A fixed keyring: `encodeKeyId` encrypts, every key decrypts. */
export function staticKeyring(keys: ReadonlyMap<string, SecretKey>, encodeKeyId: string): PayloadKeyProvider {
  const current = keys.get(encodeKeyId);
  if (!current) throw new UnknownPayloadKeyError(`no payload key with id '${encodeKeyId}' to encrypt with`);
  const encryptionKey: EncryptionKey = { keyId: encodeKeyId, key: current };
  return {
    encryptionKey: async () => encryptionKey,
    decryptionKey: async (keyId) => {
      const key = keys.get(keyId);
      if (!key) {
        throw new UnknownPayloadKeyError(
          `payload was encrypted with key '${keyId}', which is not in PAYLOAD_ENCRYPTION_KEYS (known: ${[...keys.keys()].join(', ')})`,
        );
      }
      return key;
    },
  };
}
