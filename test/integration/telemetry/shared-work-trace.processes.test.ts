import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createOtlpReceiver } from '../../helpers/otlp-receiver';

const RECEIVER_PORT = 47311;
const ROOT = path.join(__dirname, '..', '..', '..');

/**
 * Work shared by several traced callers (polls committed together) with the real SDK, exporting to
 * a real OTLP receiver: one caller's batch stays in its trace, a batch of several gets its own span
 * linked to every caller.
 */
describe('micro-batch traces', () => {
  const receiver = createOtlpReceiver();

  beforeAll(async () => {
    await receiver.listen(RECEIVER_PORT);
  });

  afterAll(async () => {
    await receiver.close();
  });

  test('when one caller is served alone and two together, then the first work is in its caller\'s trace and the second in a batch span linked to both', async () => {
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'test/fixtures/telemetry/shared-work-scenario.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${RECEIVER_PORT}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
      timeout: 30_000,
    });
    // The scenario exits only after stopTracing flushed its spans.
    const span = (name: string) => {
      const found = receiver.spans.find((s) => s.name === name);
      if (!found) throw new Error(`no span "${name}" among ${receiver.spans.map((s) => s.name).join(', ')}`);
      return found;
    };
    const [a, b, c] = [span('caller a'), span('caller b'), span('caller c')];
    expect(new Set([a.traceId, b.traceId, c.traceId]).size).toBe(3);

    expect(span('work a')).toMatchObject({ traceId: a.traceId, parentSpanId: a.spanId });

    const batch = span('scenario batch');
    expect(batch.parentSpanId).toBe('');
    expect(batch.attributes['evara.batch.size']).toBe(2);
    expect(batch.links).toEqual(expect.arrayContaining([{ traceId: b.traceId, spanId: b.spanId }, { traceId: c.traceId, spanId: c.spanId }]));
    expect(batch.links).toHaveLength(2);
    expect(span('work b,c')).toMatchObject({ traceId: batch.traceId, parentSpanId: batch.spanId });
    expect(receiver.problems).toEqual([]);
  });
});
