import type { Telemetry } from 'bullmq';
import { isTracingStarted } from '../telemetry/start-tracing';

let telemetry: Telemetry | undefined;

/**
 * BullMQ's telemetry option when this process traces: each add/addBulk gets a producer span and
 * carries its context in the job, so the worker's job span continues the producer's trace.
 * Undefined when tracing is off, and then bullmq-otel is never loaded.
 */
export function queueTelemetry(): Telemetry | undefined {
  if (!isTracingStarted()) return undefined;
  telemetry ??= createQueueTelemetry();
  return telemetry;
}

/**
 * Jobs added without a context (UNTRACED below: scheduler ticks, the polls a tick fans out) start
 * a trace of their own. BullMQ would otherwise parent their job span on whatever context is active
 * in the worker's fetch loop, which can be the job that finished just before.
 */
function createQueueTelemetry(): Telemetry {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { BullMQOtel } = require('bullmq-otel') as typeof import('bullmq-otel');
  const { ROOT_CONTEXT, SpanKind } = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const otel = new BullMQOtel({ tracerName: 'evara-queues' });
  const tracer = otel.tracer;
  return {
    contextManager: otel.contextManager,
    tracer: {
      startSpan: (name, options, context) =>
        tracer.startSpan(name, options, context ?? ((options as { kind?: number } | undefined)?.kind === SpanKind.CONSUMER ? ROOT_CONTEXT : undefined)),
    },
  };
}

/**
 * Job option for jobs that must not join the trace active where they are added: each starts its
 * own. Scheduler templates need it, or every run would hang off the worker's start-up forever.
 */
export const UNTRACED = { telemetry: { omitContext: true } } as const;
