import type { IncomingMessage } from 'node:http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { REDACTED_QUERY_PARAMS, redactUrl } from './redact-url';

/**
 * The OpenTelemetry SDK and its instrumentations. Loaded only when tracing is configured
 * (start-tracing.ts), and before express, pg, ioredis and pino are required: the instrumentations
 * patch a module when it is loaded, not afterwards. Everything else (exporter, protocol, endpoint,
 * headers, sampler, batch delays, resource attributes) comes from the standard OTEL_* variables,
 * which NodeSDK reads itself.
 */

/** Probes and scrapes every few seconds would bury the traces worth reading. */
const UNTRACED_PATHS = new Set(['/health', '/healthz', '/readyz', '/metrics']);

function isUntracedRequest(req: IncomingMessage): boolean {
  const path = (req.url ?? '').split('?')[0] ?? '';
  return UNTRACED_PATHS.has(path);
}

export function startTracingSdk(defaultServiceName: string, env: Record<string, string | undefined>): NodeSDK {
  const sdk = new NodeSDK({
    // NodeSDK's serviceName wins over OTEL_SERVICE_NAME, so it is given only when the variable is not.
    serviceName: env.OTEL_SERVICE_NAME?.trim() ? undefined : defaultServiceName,
    // Traces only: metrics stay Prometheus (/metrics) and logs stay pino lines on stdout.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: isUntracedRequest,
        // Outgoing http(s) (not undici) only inside a trace: no stray root spans.
        requireParentforOutgoingSpans: true,
        redactedQueryParams: [...REDACTED_QUERY_PARAMS],
        redactedQueryParamsServer: [...REDACTED_QUERY_PARAMS],
      }),
      new ExpressInstrumentation(),
      // SQL and Redis commands only as parts of a request or a job, not the housekeeping between them.
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
      // fetch() (ThingSpeak) and undici.request (webhooks): Node's bundled undici and the package both publish here.
      new UndiciInstrumentation({
        requireParentforSpans: true,
        // Replaces the URL attributes the instrumentation set (a ThingSpeak read key is a query parameter).
        // Must not throw: a throwing hook is skipped, and the unredacted URL would stay.
        startSpanHook: (request) => {
          const full = redactUrl(`${request.origin}${request.path}`);
          const query = full.indexOf('?');
          return { 'url.full': full, 'url.query': query < 0 ? '' : full.slice(query) };
        },
      }),
      // trace_id / span_id on every log line written inside a span; the lines themselves stay on stdout.
      new PinoInstrumentation({ disableLogSending: true }),
    ],
  });
  sdk.start();
  return sdk;
}
