// The first import of main.ts: tracing must start before bullmq, pg, ioredis, undici and pino are
// required, because the instrumentations patch modules as they load. Nothing happens (and nothing
// is loaded) unless an OTLP endpoint is configured; see README "Tracing".
import { startTracing } from '../shared/telemetry/start-tracing';

startTracing('evara-worker', process.env);
