/**
 * examples/temporal-cloud.toml resolved by our `temporalTarget()` exactly as the worker, the ingest bridge and the
 * operator commands resolve it (through @temporalio/envconfig 1.24): each profile's address, namespace and
 * credentials, and how the environment overrides the file. Also read by the real Temporal CLI, which operators point
 * at the same file.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadClientConfig } from '@temporalio/envconfig';
import { loadDevStackConfig } from '../../src/config';
import { temporalTarget } from '../../src/temporal/connection';

const EXAMPLE = resolve(__dirname, '../../examples/temporal-cloud.toml');

// What the example file says.
const NAMESPACE_ID = 'remediation-prod.a1b2c';
const REGIONAL_ENDPOINT = 'us-east-1.aws.api.temporal.io:7233';
const NAMESPACE_ENDPOINT = 'remediation-prod.a1b2c.tmprl.cloud:7233';
const API_KEY_PLACEHOLDER = 'set-TEMPORAL_API_KEY-instead';
const CERT_PATH = '/etc/remediator/temporal/client.pem';
const KEY_PATH = '/etc/remediator/temporal/client.key';

/** Every variable envconfig 1.24 reads (plus the TEMPORAL_GRPC_META_* prefix); cleared around each test. */
const ENVCONFIG_VARS = [
  'TEMPORAL_CONFIG_FILE',
  'TEMPORAL_PROFILE',
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_CERT_DATA',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION',
  'TEMPORAL_CODEC_ENDPOINT',
  'TEMPORAL_CODEC_AUTH',
];

// Throwaway PEM-shaped bytes: envconfig only reads them; nothing here parses or connects with them.
const CERT_PEM = '-----BEGIN CERTIFICATE-----\nthrowaway-client-certificate\n-----END CERTIFICATE-----\n';
const KEY_PEM = '-----BEGIN PRIVATE KEY-----\nthrowaway-client-key\n-----END PRIVATE KEY-----\n';

let savedEnv: NodeJS.ProcessEnv;
let dir: string;
let certFile: string;
let keyFile: string;

beforeEach(() => {
  savedEnv = { ...process.env };
  for (const name of Object.keys(process.env)) {
    if (ENVCONFIG_VARS.includes(name) || name.startsWith('TEMPORAL_GRPC_META_')) delete process.env[name];
  }
  dir = mkdtempSync(join(tmpdir(), 'temporal-cloud-profiles-'));
  certFile = join(dir, 'client.pem');
  keyFile = join(dir, 'client.key');
  writeFileSync(certFile, CERT_PEM);
  writeFileSync(keyFile, KEY_PEM);
});

afterEach(() => {
  for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
  Object.assign(process.env, savedEnv);
  rmSync(dir, { recursive: true, force: true });
});

/** Sets the environment for one resolution (on top of the cleared envconfig variables). */
function setEnv(vars: Record<string, string>): void {
  Object.assign(process.env, vars);
}

const text = (bytes: Uint8Array | undefined): string | undefined =>
  bytes === undefined ? undefined : Buffer.from(bytes).toString('utf8');

/** The client certificate pair the connection would present, as text. */
function clientCertPair(): { crt?: string; key?: string } | undefined {
  const { tls } = temporalTarget().connectionOptions;
  if (typeof tls !== 'object' || tls === null || tls.clientCertPair === undefined) return undefined;
  return { crt: text(tls.clientCertPair.crt), key: text(tls.clientCertPair.key) };
}

describe('examples/temporal-cloud.toml', () => {
  it('has the three profiles and only keys envconfig knows (strict parse)', () => {
    const config = loadClientConfig({ configSource: { path: EXAMPLE }, configFileStrict: true });
    expect(Object.keys(config.profiles).sort()).toEqual(['cloud-api-key', 'cloud-mtls', 'default']);
  });

  it('is read the same way by the Temporal CLI', () => {
    const cli = (profile: string): unknown =>
      JSON.parse(
        execFileSync(
          loadDevStackConfig(savedEnv).temporalCliPath,
          ['config', 'get', '--config-file', EXAMPLE, '--profile', profile, '--output', 'json'],
          { env: { HOME: dir, PATH: process.env.PATH ?? '' }, encoding: 'utf8' },
        ),
      );
    expect(cli('default')).toEqual({ address: 'localhost:7233', namespace: 'default' });
    expect(cli('cloud-api-key')).toEqual({
      address: REGIONAL_ENDPOINT,
      namespace: NAMESPACE_ID,
      api_key: API_KEY_PLACEHOLDER,
      tls: {},
    });
    expect(cli('cloud-mtls')).toEqual({
      address: NAMESPACE_ENDPOINT,
      namespace: NAMESPACE_ID,
      tls: { client_cert_path: CERT_PATH, client_key_path: KEY_PATH },
    });
  });
});

describe('profile default (local dev server)', () => {
  it.each<Record<string, string>>([{}, { TEMPORAL_PROFILE: 'default' }])(
    'is used without TEMPORAL_PROFILE or by name (%#)',
    (env) => {
      setEnv({ TEMPORAL_CONFIG_FILE: EXAMPLE, ...env });
      const target = temporalTarget();
      expect(target.namespace).toBe('default');
      expect(target.connectionOptions.address).toBe('localhost:7233');
      expect(target.connectionOptions.apiKey).toBeUndefined();
      expect(target.connectionOptions.tls).toBeUndefined();
    },
  );
});

describe('profile cloud-api-key', () => {
  it("resolves the regional endpoint, the namespace id, the file's key and TLS", () => {
    setEnv({ TEMPORAL_CONFIG_FILE: EXAMPLE, TEMPORAL_PROFILE: 'cloud-api-key' });
    const target = temporalTarget();
    expect(target.namespace).toBe(NAMESPACE_ID);
    expect(target.connectionOptions.address).toBe(REGIONAL_ENDPOINT);
    expect(target.connectionOptions.apiKey).toBe(API_KEY_PLACEHOLDER);
    // TLS on with the system's roots and no client certificate.
    expect(target.connectionOptions.tls).toEqual({});
    expect(clientCertPair()).toBeUndefined();
  });

  it('takes TEMPORAL_API_KEY over the key in the file', () => {
    setEnv({
      TEMPORAL_CONFIG_FILE: EXAMPLE,
      TEMPORAL_PROFILE: 'cloud-api-key',
      TEMPORAL_API_KEY: 'key-from-secrets-manager',
    });
    const target = temporalTarget();
    expect(target.connectionOptions.apiKey).toBe('key-from-secrets-manager');
    expect(target.connectionOptions.address).toBe(REGIONAL_ENDPOINT);
    expect(target.connectionOptions.tls).toEqual({});
  });

  it('takes TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE over the file, keeping the rest of the profile', () => {
    setEnv({
      TEMPORAL_CONFIG_FILE: EXAMPLE,
      TEMPORAL_PROFILE: 'cloud-api-key',
      TEMPORAL_ADDRESS: NAMESPACE_ENDPOINT,
      TEMPORAL_NAMESPACE: 'remediation-staging.a1b2c',
    });
    const target = temporalTarget();
    expect(target.connectionOptions.address).toBe(NAMESPACE_ENDPOINT);
    expect(target.namespace).toBe('remediation-staging.a1b2c');
    expect(target.connectionOptions.apiKey).toBe(API_KEY_PLACEHOLDER);
  });

  it('turns TLS off with TEMPORAL_TLS=false even with an API key (Temporal Cloud would refuse it)', () => {
    setEnv({ TEMPORAL_CONFIG_FILE: EXAMPLE, TEMPORAL_PROFILE: 'cloud-api-key', TEMPORAL_TLS: 'false' });
    expect(temporalTarget().connectionOptions.tls).toBe(false);
  });
});

describe('profile cloud-mtls', () => {
  it('reads the certificate and key files when the settings are resolved: missing files fail at start', () => {
    setEnv({ TEMPORAL_CONFIG_FILE: EXAMPLE, TEMPORAL_PROFILE: 'cloud-mtls' });
    expect(() => temporalTarget()).toThrow(`ENOENT: no such file or directory, open '${CERT_PATH}'`);
  });

  it('resolves the namespace endpoint, the namespace id and the pair from the paths in the file', () => {
    const copy = join(dir, 'temporal.toml');
    const example = readFileSync(EXAMPLE, 'utf8');
    expect(example).toContain(`client_cert_path = "${CERT_PATH}"`);
    expect(example).toContain(`client_key_path = "${KEY_PATH}"`);
    writeFileSync(
      copy,
      example
        .replace(`client_cert_path = "${CERT_PATH}"`, `client_cert_path = "${certFile}"`)
        .replace(`client_key_path = "${KEY_PATH}"`, `client_key_path = "${keyFile}"`),
    );
    setEnv({ TEMPORAL_CONFIG_FILE: copy, TEMPORAL_PROFILE: 'cloud-mtls' });
    const target = temporalTarget();
    expect(target.namespace).toBe(NAMESPACE_ID);
    expect(target.connectionOptions.address).toBe(NAMESPACE_ENDPOINT);
    expect(target.connectionOptions.apiKey).toBeUndefined();
    expect(clientCertPair()).toEqual({ crt: CERT_PEM, key: KEY_PEM });
  });

  it('takes TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH over the paths in the file', () => {
    setEnv({
      TEMPORAL_CONFIG_FILE: EXAMPLE,
      TEMPORAL_PROFILE: 'cloud-mtls',
      TEMPORAL_TLS_CLIENT_CERT_PATH: certFile,
      TEMPORAL_TLS_CLIENT_KEY_PATH: keyFile,
    });
    expect(temporalTarget().connectionOptions.address).toBe(NAMESPACE_ENDPOINT);
    expect(clientCertPair()).toEqual({ crt: CERT_PEM, key: KEY_PEM });
  });

  it('reaches a regional endpoint with TEMPORAL_TLS_SERVER_NAME set to the namespace endpoint', () => {
    setEnv({
      TEMPORAL_CONFIG_FILE: EXAMPLE,
      TEMPORAL_PROFILE: 'cloud-mtls',
      TEMPORAL_ADDRESS: REGIONAL_ENDPOINT,
      TEMPORAL_TLS_SERVER_NAME: NAMESPACE_ENDPOINT.replace(/:7233$/, ''),
      TEMPORAL_TLS_CLIENT_CERT_PATH: certFile,
      TEMPORAL_TLS_CLIENT_KEY_PATH: keyFile,
    });
    const { address, tls } = temporalTarget().connectionOptions;
    expect(address).toBe(REGIONAL_ENDPOINT);
    expect(tls).toMatchObject({ serverNameOverride: 'remediation-prod.a1b2c.tmprl.cloud' });
  });

  it('refuses PEM data from the environment on top of the paths in the file', () => {
    setEnv({
      TEMPORAL_CONFIG_FILE: EXAMPLE,
      TEMPORAL_PROFILE: 'cloud-mtls',
      TEMPORAL_TLS_CLIENT_CERT_DATA: CERT_PEM,
      TEMPORAL_TLS_CLIENT_KEY_DATA: KEY_PEM,
    });
    expect(() => temporalTarget()).toThrow('Cannot specify both client_cert_path and client_cert_data');
  });
});

describe('environment only (how the ECS task passes secrets)', () => {
  let noConfig: string;
  beforeEach(() => {
    // A config file that does not exist (envconfig then reads none), so no ~/.config/temporalio/temporal.toml on this
    // machine is read: the container image has none either.
    noConfig = join(dir, 'none.toml');
  });

  it('connects with an API key from TEMPORAL_API_KEY, TLS on by itself', () => {
    setEnv({
      TEMPORAL_CONFIG_FILE: noConfig,
      TEMPORAL_ADDRESS: REGIONAL_ENDPOINT,
      TEMPORAL_NAMESPACE: NAMESPACE_ID,
      TEMPORAL_API_KEY: 'key-from-secrets-manager',
    });
    const target = temporalTarget();
    expect(target).toEqual({
      namespace: NAMESPACE_ID,
      connectionOptions: { address: REGIONAL_ENDPOINT, apiKey: 'key-from-secrets-manager', tls: true },
    });
  });

  it('presents the client certificate from TEMPORAL_TLS_CLIENT_CERT_DATA and TEMPORAL_TLS_CLIENT_KEY_DATA', () => {
    setEnv({
      TEMPORAL_CONFIG_FILE: noConfig,
      TEMPORAL_ADDRESS: NAMESPACE_ENDPOINT,
      TEMPORAL_NAMESPACE: NAMESPACE_ID,
      TEMPORAL_TLS_CLIENT_CERT_DATA: CERT_PEM,
      TEMPORAL_TLS_CLIENT_KEY_DATA: KEY_PEM,
    });
    const target = temporalTarget();
    expect(target.namespace).toBe(NAMESPACE_ID);
    expect(target.connectionOptions.address).toBe(NAMESPACE_ENDPOINT);
    expect(target.connectionOptions.apiKey).toBeUndefined();
    expect(clientCertPair()).toEqual({ crt: CERT_PEM, key: KEY_PEM });
  });
});

describe('mistakes', () => {
  it('names a profile the file does not have', () => {
    setEnv({ TEMPORAL_CONFIG_FILE: EXAMPLE, TEMPORAL_PROFILE: 'cloud-apikey' });
    expect(() => temporalTarget()).toThrow("Profile 'cloud-apikey' not found in config data");
  });

  it('ignores a TEMPORAL_CONFIG_FILE that does not exist: the error names the profile, not the file', () => {
    setEnv({ TEMPORAL_CONFIG_FILE: join(dir, 'nope.toml'), TEMPORAL_PROFILE: 'cloud-mtls' });
    expect(() => temporalTarget()).toThrow("Profile 'cloud-mtls' not found in config data");
  });

  it('ignores a misspelt key without a word (only a strict parse would catch it)', () => {
    const misspelt = join(dir, 'misspelt.toml');
    writeFileSync(
      misspelt,
      `[profile.cloud-mtls]\naddress = "${NAMESPACE_ENDPOINT}"\nnamespace = "${NAMESPACE_ID}"\n` +
        `[profile.cloud-mtls.tls]\nclient_cert = "${certFile}"\nclient_key = "${keyFile}"\n`,
    );
    setEnv({ TEMPORAL_CONFIG_FILE: misspelt, TEMPORAL_PROFILE: 'cloud-mtls' });
    expect(clientCertPair()).toBeUndefined();
    expect(() => loadClientConfig({ configSource: { path: misspelt }, configFileStrict: true })).toThrow(
      'key(s) unrecognized in profile.cloud-mtls.tls: client_cert, client_key',
    );
  });

  it('fails with a TypeError on a config file without any [profile.<name>] table (envconfig 1.24)', () => {
    const empty = join(dir, 'empty.toml');
    writeFileSync(empty, '# no profiles\n');
    setEnv({ TEMPORAL_CONFIG_FILE: empty });
    expect(() => temporalTarget()).toThrow(TypeError);
  });

  it('falls back to the local dev server when that file is missing and no profile is named', () => {
    setEnv({ TEMPORAL_CONFIG_FILE: join(dir, 'nope.toml') });
    expect(temporalTarget()).toEqual({
      namespace: 'default',
      connectionOptions: { address: 'localhost:7233' },
    });
  });
});
