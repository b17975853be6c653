import type { NodeSDK } from '@opentelemetry/sdk-node';
import { isTracingConfigured } from './tracing-switch';

/**
 * Starts OpenTelemetry tracing for this process when an OTLP endpoint is configured, and does
 * nothing (loads nothing) otherwise. Each process calls it from its first import (src/api/tracing.ts,
 * src/workers/tracing.ts), before any instrumented module is required.
 */
let sdk: NodeSDK | undefined;

export function startTracing(defaultServiceName: string, env: Record<string, string | undefined>): boolean {
  if (sdk || !isTracingConfigured(env)) return Boolean(sdk);
  // A require, not an import: the SDK's modules load only on this path.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startTracingSdk } = require('./tracing-sdk') as typeof import('./tracing-sdk');
  sdk = startTracingSdk(defaultServiceName, env);
  return true;
}

export function isTracingStarted(): boolean {
  return sdk !== undefined;
}

// An unreachable collector would otherwise hold the exit for the exporter's 10 s timeout (and
// more with retries), eating the shutdown deadline that draining jobs need.
const FLUSH_LIMIT_MS = 3_000;

/** Exports the spans still buffered, for at most 3 s; the last shutdown step, after the work that made them. */
export async function stopTracing(): Promise<void> {
  const running = sdk;
  sdk = undefined;
  if (!running) return;
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, FLUSH_LIMIT_MS);
  });
  try {
    await Promise.race([running.shutdown(), limit]);
  } finally {
    clearTimeout(timer);
  }
}
