/**
 * The telemetry settings (docs/observability.md): off unless set, Prometheus on a port, OTLP by the OpenTelemetry
 * conventions, EMF on request; a malformed value names its variable.
 */
import { ConfigError, loadTelemetryConfig } from '../../src/config';
import { describeTelemetry, runtimeTelemetry } from '../../src/metrics/telemetry';

it('is all off by default', () => {
  const config = loadTelemetryConfig({});
  expect(config).toEqual({ emf: false });
  expect(runtimeTelemetry(config)).toBeUndefined();
  expect(describeTelemetry(config)).toEqual({
    metrics: 'off (METRICS_PORT and OTEL_EXPORTER_OTLP_ENDPOINT are not set)',
    emf: 'off',
  });
});

it('serves Prometheus on METRICS_HOST:METRICS_PORT with the catalogue histogram buckets', () => {
  const config = loadTelemetryConfig({ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0', METRICS_EMF: 'TRUE' });
  expect(config).toEqual({ prometheus: { host: '0.0.0.0', port: 9464 }, emf: true });
  const options = runtimeTelemetry(config);
  expect(options?.metrics).toMatchObject({
    prometheus: {
      bindAddress: '0.0.0.0:9464',
      histogramBucketOverrides: expect.objectContaining({
        remediator_time_to_verified_fix_seconds: expect.arrayContaining([60, 3600]),
      }),
    },
  });
  expect(
    runtimeTelemetry(loadTelemetryConfig({ METRICS_PORT: '9464', METRICS_HOST: '::' }))?.metrics,
  ).toMatchObject({ prometheus: { bindAddress: '[::]:9464' } });
});

it('exports over OTLP/HTTP to the signal path of OTEL_EXPORTER_OTLP_ENDPOINT, or gRPC as given', () => {
  const http = loadTelemetryConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' });
  expect(http.otlp).toEqual({ url: 'http://collector:4318/v1/metrics', protocol: 'http/protobuf' });
  expect(runtimeTelemetry(http, 5000)?.metrics).toMatchObject({
    otel: { url: 'http://collector:4318/v1/metrics', http: true, metricsExportInterval: 5000 },
  });
  const grpc = loadTelemetryConfig({
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
  });
  expect(runtimeTelemetry(grpc)?.metrics).toMatchObject({
    otel: { url: 'http://collector:4317', http: false },
  });
  const own = loadTelemetryConfig({
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://metrics:4318/custom',
  });
  expect(own.otlp?.url).toBe('http://metrics:4318/custom');
  // A Prometheus port takes the metrics; OTLP is then not used for them.
  expect(
    loadTelemetryConfig({ METRICS_PORT: '1', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).otlp,
  ).toBeUndefined();
});

it.each([
  [{ METRICS_PORT: '0' }, 'METRICS_PORT must be an integer from 1 to 65535'],
  [{ METRICS_PORT: 'http' }, 'METRICS_PORT must be an integer'],
  [{ METRICS_HOST: 'a b' }, 'METRICS_HOST must be a host name or address'],
  [{ METRICS_EMF: 'yes' }, "METRICS_EMF must be true or false, got 'yes'"],
  [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, 'OTEL_EXPORTER_OTLP_PROTOCOL must be grpc or http/protobuf'],
  [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317' }, 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL'],
])('refuses %j, naming the variable', (env, message) => {
  expect(() => loadTelemetryConfig(env)).toThrow(ConfigError);
  expect(() => loadTelemetryConfig(env)).toThrow(message);
});
