/**
 * The data converter of an encrypting deployment: the AES-256-GCM payload codec over the configured keys, and the
 * failure converter that routes messages and stack traces through it. Codecs run outside the workflow sandbox, so
 * only the failure converter (no Node built-ins) is bundled with the workflows.
 */
import type { DataConverter, PayloadCodec } from '@temporalio/common';
import { ConfigError } from '../../config';
import type { PayloadEncryptionConfig } from '../../config';
import { AesGcmPayloadCodec } from './aes-gcm-codec';
import { staticKeyring } from './keyring';
import { KMSClient } from '@aws-sdk/client-kms';
import { awsKmsDataKeys, kmsEnvelopeKeys, kmsKeyRegion } from './kms-keys';

export { AesGcmPayloadCodec, PayloadDecryptionError, UnknownPayloadKeyError } from './aes-gcm-codec';

/** Path of the module exporting the encoding `failureConverter` (for `failureConverterPath`). */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/** The payload codec for the configuration. */
export function payloadCodec(config: PayloadEncryptionConfig): PayloadCodec {
  if (config.kmsKeyId !== undefined) {
    // The region of a key ARN, else the SDK's chain (AWS_REGION); AWS_ENDPOINT_URL points it at an emulator.
    const region = kmsKeyRegion(config.kmsKeyId);
    const client = new KMSClient({ ...(region ? { region } : {}), maxAttempts: 3 });
    return new AesGcmPayloadCodec(kmsEnvelopeKeys(awsKmsDataKeys(client), config.kmsKeyId, config.keys));
  }
  if (config.encodeKeyId === undefined)
    throw new ConfigError('PAYLOAD_ENCRYPTION_KEYS names no key to encrypt with');
  return new AesGcmPayloadCodec(staticKeyring(config.keys, config.encodeKeyId));
}

/** The data converter for clients and workers: `undefined` (the SDK default, plain JSON) when encryption is off. */
export function encryptionDataConverter(
  config: PayloadEncryptionConfig | undefined,
): DataConverter | undefined {
  if (!config) return undefined;
  return { payloadCodecs: [payloadCodec(config)], failureConverterPath: FAILURE_CONVERTER_PATH };
}
