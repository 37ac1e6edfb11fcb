/**
 * KMS envelope encryption of payloads against moto's KMS: one data key per process from GenerateDataKey, wrapped in
 * each payload, unwrapped by another process with Decrypt; a wrapped key for another purpose is refused.
 */
import { CreateKeyCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import type { Payload } from '@temporalio/common';
import { AesGcmPayloadCodec } from '../../src/temporal/codec';
import {
  awsKmsDataKeys,
  DATA_KEY_METADATA,
  dataKeyId,
  kmsEnvelopeKeys,
} from '../../src/temporal/codec/kms-keys';
import type { MotoServer } from '../../src/devstack/moto-server';
import { startSuiteMoto } from '../helpers/servers';

let moto: MotoServer;
let kms: KMSClient;
let keyId: string;
beforeAll(async () => {
  moto = await startSuiteMoto();
  kms = new KMSClient({
    region: 'ap-northeast-1',
    endpoint: moto.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  keyId = (await kms.send(new CreateKeyCommand({ Description: 'payloads' }))).KeyMetadata?.KeyId ?? '';
});
afterAll(async () => {
  kms?.destroy();
  await moto?.stop();
});

const json = (value: unknown): Payload => ({
  metadata: { encoding: new TextEncoder().encode('json/plain') },
  data: new TextEncoder().encode(JSON.stringify(value)),
});

/** Counts the KMS calls a codec makes (the point of envelope encryption: one per process, not per payload). */
function counted(client: KMSClient): { calls: string[]; keys: ReturnType<typeof awsKmsDataKeys> } {
  const calls: string[] = [];
  const inner = awsKmsDataKeys(client);
  return {
    calls,
    keys: {
      generateDataKey: (id) => (calls.push('GenerateDataKey'), inner.generateDataKey(id)),
      decrypt: (ciphertext) => (calls.push('Decrypt'), inner.decrypt(ciphertext)),
    },
  };
}

it('encrypts under one KMS data key per process, which another process unwraps once with Decrypt', async () => {
  const writer = counted(kms);
  const encoded = await new AesGcmPayloadCodec(kmsEnvelopeKeys(writer.keys, keyId)).encode(
    Array.from({ length: 20 }, (_, i) => json({ accessKeyId: `AKIAEXAMPLE${i}`, sourceIp: '198.51.100.7' })),
  );
  expect(writer.calls).toEqual(['GenerateDataKey']);
  const first = encoded[0] as Payload;
  const wrapped = first.metadata?.[DATA_KEY_METADATA] as Uint8Array;
  expect(new TextDecoder().decode(first.metadata?.['encryption-key-id'])).toBe(dataKeyId(wrapped));
  expect(Buffer.from(first.data ?? []).toString('latin1')).not.toContain('AKIAEXAMPLE');

  const reader = counted(kms);
  const decoded = await new AesGcmPayloadCodec(kmsEnvelopeKeys(reader.keys, keyId)).decode(encoded);
  expect(reader.calls).toEqual(['Decrypt']);
  expect(JSON.parse(new TextDecoder().decode(decoded[7]?.data))).toEqual({
    accessKeyId: 'AKIAEXAMPLE7',
    sourceIp: '198.51.100.7',
  });
});

it('refuses a wrapped key made for another purpose (encryption context), naming the key id only', async () => {
  const foreign = await kms.send(
    new EncryptCommand({ KeyId: keyId, Plaintext: new Uint8Array(32).fill(7) }), // no encryption context
  );
  const blob = foreign.CiphertextBlob as Uint8Array;
  const [payload] = await new AesGcmPayloadCodec(kmsEnvelopeKeys(awsKmsDataKeys(kms), keyId)).encode([
    json('x'),
  ]);
  const forged = {
    ...payload,
    metadata: {
      ...payload?.metadata,
      [DATA_KEY_METADATA]: blob,
      'encryption-key-id': new TextEncoder().encode(dataKeyId(blob)),
    },
  };
  const fresh = new AesGcmPayloadCodec(kmsEnvelopeKeys(awsKmsDataKeys(kms), keyId));
  await expect(fresh.decode([forged])).rejects.toThrow(/KMS could not unwrap data key 'kms-[0-9a-f]{24}'/);
});
