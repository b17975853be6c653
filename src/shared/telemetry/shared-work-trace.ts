import type { Context } from '@opentelemetry/api';
import { isTracingStarted } from './start-tracing';

/**
 * Trace context for work done once for several callers (a micro-batch: one commit for many polls).
 * Without it the shared SQL would land in whichever caller's trace happened to start the batch.
 * Everything here is a no-op, and @opentelemetry/api stays unloaded, while tracing is off.
 */
type OtelApi = typeof import('@opentelemetry/api');
let api: OtelApi | undefined;

function otel(): OtelApi | undefined {
  if (!isTracingStarted()) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  api ??= require('@opentelemetry/api') as OtelApi;
  return api;
}

/** The caller's trace context, to be handed to runSharedWork; undefined when tracing is off. */
export function captureTraceContext(): unknown {
  return otel()?.context.active();
}

/**
 * Runs `work` for the callers whose contexts were captured: inside the one caller's trace when
 * there is one caller, otherwise in a span of its own (`name`) linked to every caller's span.
 */
export async function runSharedWork<T>(name: string, callerContexts: unknown[], work: () => Promise<T>): Promise<T> {
  const o = otel();
  if (!o) return work();
  const contexts = callerContexts.filter((c): c is Context => c !== undefined);
  if (contexts.length === 1 && contexts.length === callerContexts.length) return o.context.with(contexts[0]!, work);
  const links = contexts.flatMap((c) => {
    const sc = o.trace.getSpanContext(c);
    return sc && o.trace.isSpanContextValid(sc) ? [{ context: sc }] : [];
  });
  const span = o.trace.getTracer('evara').startSpan(name, { links, attributes: { 'evara.batch.size': callerContexts.length } }, o.ROOT_CONTEXT);
  try {
    return await o.context.with(o.trace.setSpan(o.ROOT_CONTEXT, span), work);
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: o.SpanStatusCode.ERROR });
    throw err;
  } finally {
    span.end();
  }
}
