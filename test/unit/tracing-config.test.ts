/**
 * The tracing settings (docs/observability.md, Traces): off unless an OTLP endpoint is set, by the OpenTelemetry
 * conventions for endpoints, protocols and the service name; a malformed value names its variable.
 */
import { ConfigError, loadTracingConfig } from '../../src/config';
import { describeTracing, startTracing, TRACING_OFF } from '../../src/telemetry/tracing';

it('is off without an OTLP endpoint, or with OTEL_TRACES_EXPORTER=none', async () => {
  expect(loadTracingConfig('remediator-worker', {})).toBeUndefined();
  expect(loadTracingConfig('remediator-worker', { OTEL_SERVICE_NAME: 'x' })).toBeUndefined();
  expect(
    loadTracingConfig('remediator-worker', {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_TRACES_EXPORTER: 'none',
    }),
  ).toBeUndefined();
  // Off starts nothing: the same no-op tracing every process has until it starts one.
  await expect(startTracing(undefined)).resolves.toBe(TRACING_OFF);
  expect(describeTracing(TRACING_OFF).traces).toMatch(/^off /);
});

it('exports to the signal path of OTEL_EXPORTER_OTLP_ENDPOINT over HTTP, protobuf by default', () => {
  expect(
    loadTracingConfig('remediator-ingest', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }),
  ).toEqual({
    url: 'http://collector:4318/v1/traces',
    protocol: 'http/protobuf',
    serviceName: 'remediator-ingest',
  });
});

it('takes the traces endpoint and protocol as given, before the general ones', () => {
  const config = loadTracingConfig('remediator-worker', {
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/custom/path',
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
    OTEL_SERVICE_NAME: 'remediator-prod-worker',
  });
  expect(config).toEqual({
    url: 'https://traces.example.com/custom/path',
    protocol: 'http/json',
    serviceName: 'remediator-prod-worker',
  });
  expect(describeTracing({ ...TRACING_OFF, on: true, ...(config ? { config } : {}) })).toEqual({
    traces: 'OTLP (http/json) to https://traces.example.com/custom/path as remediator-prod-worker',
  });
});

it('sends gRPC to the general endpoint as it is (gRPC has no paths)', () => {
  expect(
    loadTracingConfig('remediator-worker', {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    }),
  ).toEqual({ url: 'http://collector:4317', protocol: 'grpc', serviceName: 'remediator-worker' });
});

it.each([
  [{ OTEL_TRACES_EXPORTER: 'zipkin' }, 'OTEL_TRACES_EXPORTER must be otlp or none'],
  [
    { OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' },
    'OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf, http/json, grpc',
  ],
  [
    { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'json' },
    'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL must be',
  ],
  [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL'],
  [
    { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'ftp://c' },
    'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http(s) URL',
  ],
])('refuses %j', (env, message) => {
  expect(() => loadTracingConfig('remediator-worker', env)).toThrow(ConfigError);
  expect(() => loadTracingConfig('remediator-worker', env)).toThrow(message);
});
