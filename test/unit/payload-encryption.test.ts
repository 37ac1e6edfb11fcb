/**
 * The payload codec (AES-256-GCM, key id in the payload), its key sources and the configuration that turns it on.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { inspect } from 'node:util';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Payload } from '@temporalio/common';
import { ConfigError, loadCodecServerConfig, loadPayloadEncryptionConfig } from '../../src/config';
import { redactLogText } from '../../src/logger';
import {
  AesGcmPayloadCodec,
  encryptionDataConverter,
  FAILURE_CONVERTER_PATH,
  payloadCodec,
  PayloadDecryptionError,
  UnknownPayloadKeyError,
} from '../../src/temporal/codec';
import { ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../src/temporal/codec/aes-gcm-codec';
import { failureConverter } from '../../src/temporal/codec/failure-converter';
import { staticKeyring } from '../../src/temporal/codec/keyring';
import { DATA_KEY_METADATA, kmsEnvelopeKeys } from '../../src/temporal/codec/kms-keys';
import type { KmsDataKeys } from '../../src/temporal/codec/kms-keys';
import { SecretKey } from '../../src/temporal/codec/secret-key';

const OLD = randomBytes(32).toString('base64');
const NEW = randomBytes(32).toString('base64');
const FINDING = {
  finding: { details: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', remoteIp: '198.51.100.12' } },
  playbook: 'iam-contain-access-key',
};

const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');
const codecFor = (env: Record<string, string>) => payloadCodec(loadPayloadEncryptionConfig(env)!);
const jsonPayload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);

describe('AesGcmPayloadCodec', () => {
  const codec = codecFor({ PAYLOAD_ENCRYPTION_KEYS: `k1:${OLD}` });

  it('round-trips a payload: ciphertext carries nothing readable, metadata names the key', async () => {
    // Prepare
    const original = jsonPayload(FINDING);

    // Act
    const [encrypted] = await codec.encode([original]);
    const [decoded] = await codec.decode([encrypted!]);

    // Assess
    expect(text(encrypted!.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(encrypted!.metadata?.[KEY_ID_METADATA])).toBe('k1');
    expect(Object.keys(encrypted!.metadata ?? {}).sort()).toEqual(['encoding', KEY_ID_METADATA]);
    const raw = Buffer.from(encrypted!.data!).toString('latin1');
    expect(raw).not.toContain('AKIA');
    expect(raw).not.toContain('198.51.100.12');
    expect(raw).not.toContain('json/plain');
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(FINDING);
    expect(text(decoded!.metadata?.encoding)).toBe('json/plain');
  });

  it('uses a fresh IV for every payload', async () => {
    const payload = jsonPayload(FINDING);
    const [a, b] = await codec.encode([payload, payload]);
    expect(Buffer.from(a!.data!).subarray(0, 12)).not.toEqual(Buffer.from(b!.data!).subarray(0, 12));
    expect(Buffer.from(a!.data!)).not.toEqual(Buffer.from(b!.data!));
  });

  it('passes plain payloads through on decode (histories from before encryption still read)', async () => {
    const plain = [jsonPayload(FINDING), jsonPayload(null), { metadata: {}, data: new Uint8Array([1, 2]) }];
    const decoded = await codec.decode(plain);
    expect(decoded).toEqual(plain);
    expect(decoded[0]).toBe(plain[0]);
  });

  it.each([
    ['ciphertext byte', (d: Buffer) => (d[20] = d[20]! ^ 0x01)],
    ['tag byte', (d: Buffer) => (d[d.length - 1] = d[d.length - 1]! ^ 0x80)],
    ['IV byte', (d: Buffer) => (d[0] = d[0]! ^ 0x01)],
  ])('fails on a flipped %s (tampering), never passes it through', async (_what, flip) => {
    const [encrypted] = await codec.encode([jsonPayload(FINDING)]);
    const data = Buffer.from(encrypted!.data!);
    flip(data);
    const attempt = codec.decode([{ ...encrypted!, data }]);
    await expect(attempt).rejects.toThrow(PayloadDecryptionError);
    await expect(attempt).rejects.toThrow(/key 'k1' failed authentication/);
  });

  it('fails when a ciphertext is moved under another known key id, or truncated', async () => {
    const both = codecFor({ PAYLOAD_ENCRYPTION_KEYS: `k1:${OLD},k2:${NEW}` });
    const [encrypted] = await both.encode([jsonPayload(FINDING)]);
    const moved = {
      ...encrypted!,
      metadata: { ...encrypted!.metadata, [KEY_ID_METADATA]: Buffer.from('k2') },
    };
    await expect(both.decode([moved])).rejects.toThrow(/key 'k2' failed authentication/);
    const truncated = { ...encrypted!, data: encrypted!.data!.subarray(0, 20) };
    await expect(both.decode([truncated])).rejects.toThrow(/truncated/);
    const noKeyId = { metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING) }, data: encrypted!.data! };
    await expect(both.decode([noKeyId])).rejects.toThrow(/no encryption-key-id metadata/);
  });

  it('fails on an unknown key id, naming the id and never a key', async () => {
    // Prepare: written with k1, read by a process that only has k2.
    const [encrypted] = await codec.encode([jsonPayload(FINDING)]);
    const other = codecFor({ PAYLOAD_ENCRYPTION_KEYS: `k2:${NEW}` });

    // Act
    const error = await other.decode([encrypted!]).then(
      () => new Error('decoded'),
      (e: unknown) => e as Error,
    );

    // Assess
    expect(error).toBeInstanceOf(UnknownPayloadKeyError);
    expect(error.message).toContain("'k1'");
    expect(error.message).toContain('known: k2');
    expect(error.message).not.toContain(NEW);
    expect(error.message).not.toContain(OLD);
  });

  it('rotates: the new key encrypts, the old one still decrypts what it wrote', async () => {
    // Prepare
    const before = codecFor({ PAYLOAD_ENCRYPTION_KEYS: `old:${OLD}` });
    const [written] = await before.encode([jsonPayload(FINDING)]);
    const after = codecFor({ PAYLOAD_ENCRYPTION_KEYS: `new:${NEW},old:${OLD}` });

    // Act
    const [fresh] = await after.encode([jsonPayload('x')]);
    const decoded = await after.decode([written!, fresh!]);

    // Assess
    expect(text(fresh!.metadata?.[KEY_ID_METADATA])).toBe('new');
    expect(defaultPayloadConverter.fromPayload(decoded[0]!)).toEqual(FINDING);
    expect(defaultPayloadConverter.fromPayload(decoded[1]!)).toBe('x');
    const pinned = codecFor({
      PAYLOAD_ENCRYPTION_KEYS: `new:${NEW},old:${OLD}`,
      PAYLOAD_ENCRYPTION_KEY_ID: 'old',
    });
    const [pinnedOut] = await pinned.encode([jsonPayload('y')]);
    expect(text(pinnedOut!.metadata?.[KEY_ID_METADATA])).toBe('old');
    const newOnly = codecFor({ PAYLOAD_ENCRYPTION_KEYS: `new:${NEW}` });
    await expect(newOnly.decode([written!])).rejects.toThrow(
      /'old', which is not in PAYLOAD_ENCRYPTION_KEYS/,
    );
  });
});

describe('KMS envelope keys (KMS behind the KmsDataKeys interface; a fake here)', () => {
  /** A stand-in KMS: wraps data keys by XOR with its own master key, counts calls. */
  function fakeKms() {
    const master = randomBytes(32);
    const calls = { generate: 0, decrypt: 0 };
    const wrap = (k: Uint8Array) => Buffer.from(k.map((b, i) => b ^ master[i]!));
    const kms: KmsDataKeys = {
      async generateDataKey() {
        calls.generate += 1;
        const plaintext = randomBytes(32);
        return { plaintext, ciphertext: Buffer.concat([Buffer.from('wrapped:'), wrap(plaintext)]) };
      },
      async decrypt(ciphertext) {
        calls.decrypt += 1;
        return wrap(Buffer.from(ciphertext).subarray(8));
      },
    };
    return { kms, calls };
  }

  it('asks KMS for one data key per process, stores it wrapped, unwraps once per data key', async () => {
    // Prepare
    const { kms, calls } = fakeKms();
    const writer = new AesGcmPayloadCodec(kmsEnvelopeKeys(kms, 'alias/remediator-payloads'));
    const reader = new AesGcmPayloadCodec(kmsEnvelopeKeys(kms, 'alias/remediator-payloads'));

    // Act
    const first = await writer.encode([jsonPayload(FINDING), jsonPayload(1)]);
    const second = await writer.encode([jsonPayload(2)]);
    const decoded = await reader.decode([...first, ...second]);
    await reader.decode(first);

    // Assess
    expect(calls).toEqual({ generate: 1, decrypt: 1 });
    expect(text(first[0]!.metadata?.[KEY_ID_METADATA])).toMatch(/^kms-[0-9a-f]{24}$/);
    expect(first[0]!.metadata?.[DATA_KEY_METADATA]?.length).toBeGreaterThan(32);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([FINDING, 1, 2]);
  });

  it('still decodes payloads of the environment keys (switching to KMS), refuses a swapped data key', async () => {
    const { kms } = fakeKms();
    const [old] = await codecFor({ PAYLOAD_ENCRYPTION_KEYS: `k1:${OLD}` }).encode([jsonPayload(FINDING)]);
    const config = loadPayloadEncryptionConfig({
      PAYLOAD_ENCRYPTION_KEYS: `k1:${OLD}`,
      PAYLOAD_KMS_KEY_ID: 'alias/remediator-payloads',
    })!;
    const codec = new AesGcmPayloadCodec(kmsEnvelopeKeys(kms, config.kmsKeyId!, config.keys));
    expect(defaultPayloadConverter.fromPayload((await codec.decode([old!]))[0]!)).toEqual(FINDING);
    const [a] = await codec.encode([jsonPayload('a')]);
    const [b] = await new AesGcmPayloadCodec(kmsEnvelopeKeys(kms, 'alias/x')).encode([jsonPayload('b')]);
    const swapped = {
      ...a!,
      metadata: { ...a!.metadata, [DATA_KEY_METADATA]: b!.metadata![DATA_KEY_METADATA]! },
    };
    await expect(codec.decode([swapped])).rejects.toThrow(/carries another data key/);
  });
});

describe('payload encryption configuration', () => {
  it('is off unless a key source is set', () => {
    expect(loadPayloadEncryptionConfig({})).toBeUndefined();
    expect(encryptionDataConverter(undefined)).toBeUndefined();
  });

  it('reads the keyring: the first key encodes unless PAYLOAD_ENCRYPTION_KEY_ID picks one', () => {
    const config = loadPayloadEncryptionConfig({ PAYLOAD_ENCRYPTION_KEYS: ` a:${OLD} , b.2:${NEW} ` });
    expect(config?.encodeKeyId).toBe('a');
    expect([...(config?.keys.keys() ?? [])]).toEqual(['a', 'b.2']);
    expect(
      loadPayloadEncryptionConfig({
        PAYLOAD_ENCRYPTION_KEYS: `a:${OLD},b:${NEW}`,
        PAYLOAD_ENCRYPTION_KEY_ID: 'b',
      })?.encodeKeyId,
    ).toBe('b');
  });

  it('builds a data converter with the codec and the encoding failure converter', () => {
    const converter = encryptionDataConverter(
      loadPayloadEncryptionConfig({ PAYLOAD_ENCRYPTION_KEYS: `a:${OLD}` }),
    );
    expect(converter?.payloadCodecs).toHaveLength(1);
    expect(converter?.failureConverterPath).toBe(FAILURE_CONVERTER_PATH);
    expect(existsSync(FAILURE_CONVERTER_PATH)).toBe(true);
  });

  it.each([
    [
      { PAYLOAD_ENCRYPTION_KEYS: OLD },
      /PAYLOAD_ENCRYPTION_KEYS entry 1 must be <keyId>:<base64 32-byte key>/,
    ],
    [{ PAYLOAD_ENCRYPTION_KEYS: `a:${OLD},:${NEW}` }, /PAYLOAD_ENCRYPTION_KEYS entry 2 must be/],
    [{ PAYLOAD_ENCRYPTION_KEYS: `a b:${OLD}` }, /PAYLOAD_ENCRYPTION_KEYS entry 1: key id 'a b' must be/],
    [{ PAYLOAD_ENCRYPTION_KEYS: `a:${OLD},a:${NEW}` }, /PAYLOAD_ENCRYPTION_KEYS: key id 'a' appears twice/],
    [
      { PAYLOAD_ENCRYPTION_KEYS: `a:${randomBytes(16).toString('base64')}` },
      /PAYLOAD_ENCRYPTION_KEYS: the key of 'a' must be 32 bytes .* decodes to 16 bytes/,
    ],
    [{ PAYLOAD_ENCRYPTION_KEYS: 'a:not base64!' }, /the key of 'a' must be 32 bytes .* it is not base64/],
    [
      { PAYLOAD_ENCRYPTION_KEY_ID: 'a' },
      /PAYLOAD_ENCRYPTION_KEY_ID is set but PAYLOAD_ENCRYPTION_KEYS is not/,
    ],
    [
      { PAYLOAD_ENCRYPTION_KEYS: `a:${OLD}`, PAYLOAD_ENCRYPTION_KEY_ID: 'z' },
      /PAYLOAD_ENCRYPTION_KEY_ID 'z' is not one of the key ids in PAYLOAD_ENCRYPTION_KEYS \(a\)/,
    ],
    [{ PAYLOAD_KMS_KEY_ID: 'my key' }, /PAYLOAD_KMS_KEY_ID must be a KMS key id/],
    [
      { PAYLOAD_KMS_KEY_ID: 'alias/p', PAYLOAD_ENCRYPTION_KEYS: `a:${OLD}`, PAYLOAD_ENCRYPTION_KEY_ID: 'a' },
      /PAYLOAD_ENCRYPTION_KEY_ID and PAYLOAD_KMS_KEY_ID are both set/,
    ],
  ])('fails naming the variable, never printing a key (%#)', (env, message) => {
    const error = (() => {
      try {
        loadPayloadEncryptionConfig(env);
      } catch (err) {
        return err as Error;
      }
      throw new Error('no error');
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain(OLD);
    expect(error.message).not.toContain(NEW);
  });

  it('accepts KMS key ids, key ARNs, aliases and alias ARNs', () => {
    for (const id of [
      '1234abcd-12ab-34cd-56ef-1234567890ab',
      'mrk-1234abcd12ab34cd56ef1234567890ab',
      'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      'alias/remediator-payloads',
      'arn:aws:kms:eu-west-1:123456789012:alias/remediator-payloads',
    ]) {
      expect(loadPayloadEncryptionConfig({ PAYLOAD_KMS_KEY_ID: id })?.kmsKeyId).toBe(id);
    }
  });

  it('never prints key material: the config logs, serialises and inspects as [redacted]', () => {
    const config = loadPayloadEncryptionConfig({ PAYLOAD_ENCRYPTION_KEYS: `a:${OLD}` })!;
    const key = config.keys.get('a')!;
    const hex = Buffer.from(OLD, 'base64').toString('hex');
    for (const shown of [
      JSON.stringify({ ...config, keys: [...config.keys] }),
      inspect(config, { depth: 5 }),
      String(key),
    ]) {
      expect(shown).not.toContain(OLD);
      expect(shown).not.toContain(hex);
      expect(shown).toContain('redacted');
    }
    expect(() => new SecretKey(new Uint8Array(16))).toThrow(/32 bytes, got 16/);
  });

  it('codec server: needs the keys, and a bearer token of at least 16 characters when set', () => {
    expect(() => loadCodecServerConfig({})).toThrow(
      /PAYLOAD_ENCRYPTION_KEYS \(or PAYLOAD_KMS_KEY_ID\) is not set/,
    );
    expect(() =>
      loadCodecServerConfig({ PAYLOAD_ENCRYPTION_KEYS: `a:${OLD}`, CODEC_SERVER_TOKEN: 'short' }),
    ).toThrow(/CODEC_SERVER_TOKEN must be at least 16 characters/);
    expect(
      loadCodecServerConfig({ PAYLOAD_ENCRYPTION_KEYS: `a:${OLD}`, CODEC_SERVER_TOKEN: 'x'.repeat(16) })
        .token,
    ).toBe('x'.repeat(16));
  });
});

describe('failure converter', () => {
  it('moves the message and stack trace into an encoded payload that the codec then encrypts', async () => {
    // Prepare
    const codec = new AesGcmPayloadCodec(
      staticKeyring(new Map([['k', new SecretKey(randomBytes(32))]]), 'k'),
    );

    // Act
    const failure = failureConverter.errorToFailure(
      new Error('AccessDenied on AKIAIOSFODNN7EXAMPLE from 198.51.100.12'),
      defaultPayloadConverter,
    );
    const [encoded] = await codec.encode([failure.encodedAttributes!]);

    // Assess
    expect(failure.message).toBe('Encoded failure');
    expect(failure.stackTrace).toBe('');
    expect(Buffer.from(encoded!.data!).toString('latin1')).not.toContain('AKIA');
    const restored = failureConverter.failureToError(
      { ...failure, encodedAttributes: (await codec.decode([encoded!]))[0]! },
      defaultPayloadConverter,
    );
    expect(restored.message).toBe('AccessDenied on AKIAIOSFODNN7EXAMPLE from 198.51.100.12');
  });
});

describe('log redaction', () => {
  it('shows access key ids only as prefix and last four, wherever they sit in a line', () => {
    const line = redactLogText(
      JSON.stringify({
        workflowId: 'remediation/123456789012/global/AWS::IAM::AccessKey/AKIAIOSFODNN7EXAMPLE',
        link: 'http://ui/namespaces/default/workflows/remediation%2F123456789012%2Fglobal%2FAWS%3A%3AIAM%3A%3AAccessKey%2FASIAY34FZKBOKMUTVV7A',
        reason: 'credential AKIAIOSFODNN7EXAMPLE of Root x',
      }),
    );
    expect(line).not.toMatch(/AKIAIOSFODNN7EXAMPLE|ASIAY34FZKBOKMUTVV7A/);
    expect(line).toContain('AccessKey/AKIA****MPLE');
    expect(line).toContain('%2FASIA****VV7A');
    expect(redactLogText('arn:aws:iam::123456789012:user/ci-deployer i-0f9e8d7c6b5a43210')).toBe(
      'arn:aws:iam::123456789012:user/ci-deployer i-0f9e8d7c6b5a43210',
    );
  });
});
