/**
 * Whether this process exports traces, decided from the standard OpenTelemetry variables alone.
 * Off unless an OTLP endpoint is set, so a deployment that never heard of tracing pays nothing:
 * the SDK is not even loaded (start-tracing.ts requires it only when this says yes).
 */
export function isTracingConfigured(env: Record<string, string | undefined>): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (exporters.length > 0 && exporters.every((e) => e === 'none')) return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim());
}
