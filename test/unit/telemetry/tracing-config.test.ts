import { ConfigError, describeConfig, loadConfig } from '../../../src/shared/config';
import { isTracingConfigured } from '../../../src/shared/telemetry/tracing-switch';

const base = { DATABASE_URL: 'postgres://evara@127.0.0.1:5432/evara' };

describe('isTracingConfigured', () => {
  test.each([
    [{}, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: '' }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: '   ' }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://api.honeycomb.io/v1/traces' }, true],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'TRUE' }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'false' }, true],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none' }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'otlp' }, true],
  ])('when the environment is %j, then tracing is %s', (env, expected) => {
    expect(isTracingConfigured(env)).toBe(expected);
  });
});

describe('tracing configuration', () => {
  test('when no OTEL variable is set, then tracing is off and the banner says only that', () => {
    const c = loadConfig(base, 'api');
    expect(c.tracing.enabled).toBe(false);
    expect(describeConfig(c).tracing).toEqual({ enabled: false });
  });

  test('when an endpoint is set, then the banner shows it, the default service name per process and whether headers are set, never their value', () => {
    const env = { ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'https://user:hunter2pass@otlp.example.com', OTEL_EXPORTER_OTLP_HEADERS: 'x-honeycomb-team=hcSecretKey123' };
    const banner = JSON.stringify(describeConfig(loadConfig(env, 'worker')));
    expect(describeConfig(loadConfig(env, 'worker')).tracing).toMatchObject({ enabled: true, serviceName: 'evara-worker', protocol: 'http/protobuf', headers: 'set' });
    expect(loadConfig(env, 'api').tracing.serviceName).toBe('evara-api');
    expect(banner).not.toContain('hcSecretKey123');
    expect(banner).not.toContain('hunter2pass');
  });

  test('when OTEL variables are malformed, then start-up fails naming each of them', () => {
    expect.assertions(5);
    try {
      loadConfig(
        { ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318 nope', OTEL_EXPORTER_OTLP_PROTOCOL: 'http', OTEL_TRACES_SAMPLER: 'sometimes', OTEL_TRACES_SAMPLER_ARG: '2', OTEL_BSP_SCHEDULE_DELAY: 'soon' },
        'api',
      );
    } catch (err) {
      const text = (err as ConfigError).problems.join('\n');
      for (const key of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_TRACES_SAMPLER', 'OTEL_TRACES_SAMPLER_ARG', 'OTEL_BSP_SCHEDULE_DELAY']) expect(text).toContain(key);
    }
  });

  test('when OTEL variables are empty strings, then they count as unset, as the SDK reads them', () => {
    const c = loadConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_PROTOCOL: '', OTEL_TRACES_SAMPLER: '' }, 'api');
    expect(c.tracing).toMatchObject({ enabled: false, protocol: 'http/protobuf', sampler: 'parentbased_always_on' });
  });
});
