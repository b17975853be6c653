import { randomBytes, randomUUID } from 'node:crypto';
import { createThingSpeakSimulator } from '../../../src/simulator/thingspeak-simulator';
import { createTestCore, testEnv, type TestCore } from '../../helpers/test-core';
import { createNode, nextChannelId } from '../../helpers/factories';
import { issueKey } from '../../helpers/http';
import { startProcess, stopProcess, type RunningProcess } from '../../helpers/processes';
import { createOtlpReceiver, SPAN_KIND, type ReceivedSpan } from '../../helpers/otlp-receiver';
import { waitFor } from '../../helpers/wait-for';

// Ports of this file (47300-47399 are reserved for the telemetry tests).
const API_PORT = 47301;
const RECEIVER_PORT = 47302;
const SIMULATOR_PORT = 47303;

/**
 * The API and a worker as real processes exporting OTLP/HTTP JSON to a real receiver in this test:
 * one on-demand poll is one trace from the HTTP request through the queue, the worker, ThingSpeak
 * (the simulator) and the SQL, to the alert evaluation it caused.
 */
describe('tracing across the API and a worker', () => {
  const receiver = createOtlpReceiver();
  const sim = createThingSpeakSimulator();
  let core: TestCore;
  let api: RunningProcess;
  let worker: RunningProcess;
  const extra: RunningProcess[] = [];
  let simUrl: string;
  const otel = {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${RECEIVER_PORT}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    // Spans leave within 100 ms instead of 5 s.
    OTEL_BSP_SCHEDULE_DELAY: '100',
    LOG_LEVEL: 'debug',
  };

  beforeAll(async () => {
    await receiver.listen(RECEIVER_PORT);
    simUrl = (await sim.listen(SIMULATOR_PORT)).url;
    core = createTestCore({ THINGSPEAK_BASE_URL: simUrl, QUEUE_PREFIX: `h-otel-${randomUUID().slice(0, 8)}` }, 'api');
    api = startProcess('api/main.ts', testEnv({ ...otel, QUEUE_PREFIX: core.prefix, PORT: String(API_PORT) }));
    worker = startProcess(
      'workers/main.ts',
      testEnv({ ...otel, QUEUE_PREFIX: core.prefix, THINGSPEAK_BASE_URL: simUrl, POLL_INTERVAL_MS: '3600000', WORKER_METRICS_PORT: '47304' }),
    );
    await Promise.all([api.waitForLine(/api started/), worker.waitForLine(/worker started/)]);
  });

  afterAll(async () => {
    await Promise.all([api, worker, ...extra].filter(Boolean).map((p) => stopProcess(p)));
    await core?.close();
    await sim.close();
    await receiver.close();
  });

  const parseLine = (line: string): Record<string, unknown> | undefined => (line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : undefined);

  function describeTrace(spans: ReceivedSpan[]): string {
    return spans.map((s) => `${s.service} ${s.kind} ${s.name} [${s.scope}]`).join('\n');
  }

  const inTrace = (traceId: string) => receiver.spans.filter((s) => s.traceId === traceId);
  const isJob = (name: string) => (s: ReceivedSpan) => s.service === 'evara-worker' && s.kind === SPAN_KIND.consumer && s.attributes['bullmq.job.name'] === name;
  const isEvaluation = isJob('evaluate-node');

  /**
   * Waits until the trace holds the evaluate-node job (its last part) and, when the API began it,
   * the API's server span: each process exports on its own schedule, so the worker's last span can
   * arrive before the API's batch.
   */
  async function completeTrace(traceId: string, { fromApi = true } = {}): Promise<ReceivedSpan[]> {
    const apiServerSpan = (s: ReceivedSpan) => s.service === 'evara-api' && s.kind === SPAN_KIND.server;
    await waitFor(() => inTrace(traceId).some(isEvaluation) && (!fromApi || inTrace(traceId).some(apiServerSpan)), { timeoutMs: 30_000, what: `the evaluate-node job span in trace ${traceId}` }).catch((err: Error) => {
      throw new Error(`${err.message}\nspans in the trace:\n${describeTrace(inTrace(traceId))}\nreceiver problems: ${receiver.problems.join('; ')}`);
    });
    return inTrace(traceId);
  }

  test('when a poll is asked for with a traceparent, then the request, the enqueue, the job, the ThingSpeak fetch, the SQL and the alert evaluation are one trace', async () => {
    // A private channel: its read key travels in the query string and must not reach a span.
    const readKey = `TRACEKEY${randomBytes(6).toString('hex').toUpperCase()}`;
    const channelId = nextChannelId();
    const { node, channel } = await createNode(core, { channels: [{ channelId, readKey, active: true, fieldMapping: { field1: 'temperature', field2: 'distance_cm' } }] });
    sim.createChannel({ id: channel.channelId, readKey });
    sim.appendGenerated(channel.channelId, 5, { start: new Date(Date.now() - 600_000), stepMs: 60_000 });
    const key = await issueKey(core, { role: 'superadmin' });
    const traceId = randomBytes(16).toString('hex');
    const parentSpanId = randomBytes(8).toString('hex');

    const res = await fetch(`http://127.0.0.1:${API_PORT}/api/v1/nodes/${node.id}/poll`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, traceparent: `00-${traceId}-${parentSpanId}-01` },
    });
    expect(res.status).toBe(202);

    const spans = await completeTrace(traceId);

    // The API's server span continues the caller's span.
    const server = spans.find((s) => s.service === 'evara-api' && s.kind === SPAN_KIND.server);
    expect(server).toMatchObject({ parentSpanId });
    expect(server?.attributes['http.route']).toBe('/api/v1/nodes/:id/poll');
    // The enqueue (BullMQ producer span) in the API, the job in the worker.
    const enqueue = spans.find((s) => s.service === 'evara-api' && s.kind === SPAN_KIND.producer && s.name.startsWith('add poll'));
    expect(enqueue).toBeDefined();
    const pollJob = spans.find(isJob('poll-channel'));
    expect(pollJob?.parentSpanId).toBe(enqueue?.spanId);
    // The ThingSpeak fetch to the simulator, without the read key in its URL.
    const fetchSpan = spans.find((s) => s.service === 'evara-worker' && s.kind === SPAN_KIND.client && s.attributes['server.port'] === SIMULATOR_PORT);
    expect(String(fetchSpan?.attributes['url.full'])).toContain(`/channels/${channel.channelId}/feeds.json`);
    expect(String(fetchSpan?.attributes['url.full'])).toContain('api_key=REDACTED');
    expect(fetchSpan?.attributes['http.response.status_code']).toBe(200);
    expect(JSON.stringify(receiver.spans)).not.toContain(readKey);
    // SQL in both processes.
    const sql = spans.filter((s) => s.scope === '@opentelemetry/instrumentation-pg' && s.kind === SPAN_KIND.client);
    expect(new Set(sql.map((s) => s.service))).toEqual(new Set(['evara-api', 'evara-worker']));
    // The evaluation the poll caused, enqueued from inside the poll's trace.
    expect(spans.filter(isEvaluation)).toHaveLength(1);

    // Log lines written inside those spans carry the trace id.
    await waitFor(() => worker.output.some((l) => l.includes('channel polled') && l.includes(traceId)), { what: "the worker's 'channel polled' line with the trace id" });
    const tracedLine = (lines: string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.trace_id === traceId && typeof l.span_id === 'string');
    expect(tracedLine(worker.output.filter((l) => l.startsWith('{')))).toBeDefined();
    expect(tracedLine(api.output.filter((l) => l.startsWith('{')))).toBeDefined();
    expect(receiver.problems).toEqual([]);
  });

  test('when a poll is asked for without a traceparent, then the API starts the trace and the worker continues it', async () => {
    const { node, channel } = await createNode(core);
    sim.createChannel({ id: channel.channelId });
    sim.appendGenerated(channel.channelId, 2, { start: new Date(Date.now() - 120_000), stepMs: 60_000 });
    const key = await issueKey(core, { role: 'superadmin' });
    const path = `/api/v1/nodes/${node.id}/poll`;

    const res = await fetch(`http://127.0.0.1:${API_PORT}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(202);

    // The trace id the API chose, read from its request log line.
    const requestLine = await waitFor(() => api.output.map(parseLine).find((l) => l?.msg === 'request completed' && (l.req as { path?: string } | undefined)?.path === path), {
      what: `the API's log line for ${path}`,
    });
    const traceId = String(requestLine!.trace_id);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const spans = await completeTrace(traceId);
    const server = spans.find((s) => s.service === 'evara-api' && s.kind === SPAN_KIND.server);
    expect(server).toMatchObject({ parentSpanId: '' });
    const enqueue = spans.find((s) => s.service === 'evara-api' && s.kind === SPAN_KIND.producer && s.name.startsWith('add poll'));
    expect(spans.find(isJob('poll-channel'))?.parentSpanId).toBe(enqueue?.spanId);
    const fetchSpan = spans.find((s) => s.kind === SPAN_KIND.client && s.attributes['server.port'] === SIMULATOR_PORT);
    expect(fetchSpan?.attributes['url.path']).toBe(`/channels/${channel.channelId}/feeds.json`);
  });

  test('when polls are scheduled, then each tick is a trace of its own and so is each poll it fans out, with its SQL and evaluation', async () => {
    const { channel } = await createNode(core);
    sim.createChannel({ id: channel.channelId });
    sim.appendGenerated(channel.channelId, 3, { start: new Date(Date.now() - 300_000), stepMs: 60_000 });
    // The tick spreads polls over the interval of the worker that runs it: the first worker's hour
    // would delay this channel's poll for minutes, so a worker with a one-second tick replaces it.
    await stopProcess(worker);
    const ticking = startProcess('workers/main.ts', testEnv({ ...otel, QUEUE_PREFIX: core.prefix, THINGSPEAK_BASE_URL: simUrl, POLL_INTERVAL_MS: '1000', WORKER_METRICS_PORT: '47305' }));
    extra.push(ticking);
    await ticking.waitForLine(/worker started/);

    const isTick = isJob('poll-tick');
    const tickTraces = () => new Set(receiver.spans.filter(isTick).map((s) => s.traceId));
    await waitFor(() => tickTraces().size >= 2, { timeoutMs: 20_000, what: 'two ticks traced' });
    // The poll of this channel, found through its log line's trace id.
    const polledLine = await waitFor(
      () => ticking.output.map(parseLine).find((l) => l?.msg === 'channel polled' && String(l.channelId) === String(channel.channelId) && typeof l.trace_id === 'string'),
      { timeoutMs: 20_000, what: `a traced 'channel polled' line of channel ${channel.channelId}` },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${ticking.output.slice(-10).join('\n')}`);
    });
    const traceId = String(polledLine!.trace_id);
    const spans = await completeTrace(traceId, { fromApi: false });
    const pollJob = spans.find(isJob('poll-channel'));
    // The root of its own trace: not a child of the tick that enqueued it, nor of any other job.
    expect(pollJob).toMatchObject({ parentSpanId: '' });
    expect(tickTraces().has(traceId)).toBe(false);
    expect(spans.some((s) => s.scope === '@opentelemetry/instrumentation-pg')).toBe(true);
    expect(spans.some((s) => s.kind === SPAN_KIND.client && s.attributes['server.port'] === SIMULATOR_PORT)).toBe(true);
    // Every tick is a root too: ticks do not pile up in one trace that lives as long as the process.
    for (const tick of receiver.spans.filter(isTick)) expect(tick.parentSpanId).toBe('');
  });

});
