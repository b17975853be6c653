import { createThingSpeakSimulator } from '../../../src/simulator/thingspeak-simulator';
import { QUEUE_NAMES } from '../../../src/shared/queues/queue-names';
import { createPrivateRedis } from '../../../scripts/private-redis';
import { createTestCore, testEnv, type TestCore } from '../../helpers/test-core';
import { createNode } from '../../helpers/factories';
import { storedEntries } from '../../helpers/readings';
import { startProcess, stopProcess, type RunningProcess } from '../../helpers/processes';
import { waitFor } from '../../helpers/wait-for';
import { connectLive, type LiveTestClient } from '../ws/live-test-client';

// Own ports: the drill uses 6391 and 47100.
const REDIS_PORT = 6392;
const API_PORT = 47101;
const INTERVAL_MS = 2_000;
const ADMIN_KEY = 'redis-loss-test-admin-key-0123456789abcdef';
const SCHEDULER_IDS = ['poll-tick', 'sweep-conditions', 'relay-notifications', 'apply-retention', 'ensure-partitions', 'update-rollups'];

/**
 * Redis lost with its data, in small: two real worker processes and the API on a private
 * redis-server, which is killed and started again empty. Everything must come back by itself.
 */
describe('Redis restarted empty under two workers and the API', () => {
  const sim = createThingSpeakSimulator();
  const redis = createPrivateRedis(REDIS_PORT);
  const procs: RunningProcess[] = [];
  let direct: TestCore | undefined;
  let live: LiveTestClient | undefined;

  afterAll(async () => {
    live?.close();
    sim.stopGenerator();
    await Promise.all(procs.map((p) => stopProcess(p)));
    await direct?.close();
    await redis.kill();
    await sim.close();
  });

  const linesOf = (p: RunningProcess, msg: string) =>
    p.output.filter((l) => l.includes(msg)).map((l) => JSON.parse(l) as Record<string, unknown> & { time: string });

  test('when Redis comes back empty, then the schedulers return once each, the breaker and pause start clean, every channel is polled again and nothing is lost or stored twice', async () => {
    await redis.start();
    const { url: simUrl } = await sim.listen(0);
    // A probe an hour away: the breaker opened below stays open unless Redis forgets it.
    const overrides = {
      REDIS_URL: redis.url,
      THINGSPEAK_BASE_URL: simUrl,
      POLL_INTERVAL_MS: String(INTERVAL_MS),
      CIRCUIT_CHECK_MS: '200',
      CIRCUIT_PROBE_BASE_MS: '3600000',
      CIRCUIT_PROBE_MAX_MS: '3600000',
      ALERT_SWEEP_MS: '60000',
    };
    direct = createTestCore(overrides);
    const nodes = await Promise.all(Array.from({ length: 4 }, () => createNode(direct!)));
    for (const { channel } of nodes) sim.createChannel({ id: channel.channelId, createdAt: new Date(Date.now() - 600_000) });
    sim.startGenerator({ cadenceMs: 300, channels: nodes.map(({ channel }) => channel.channelId) });

    const env = testEnv({ ...overrides, QUEUE_PREFIX: direct.prefix, ADMIN_API_KEY: ADMIN_KEY, PORT: String(API_PORT) });
    const [w1, w2, api] = [startProcess('workers/main.ts', env), startProcess('workers/main.ts', env), startProcess('api/main.ts', env)];
    procs.push(w1, w2, api);
    await Promise.all([w1.waitForLine(/worker started/), w2.waitForLine(/worker started/), api.waitForLine(/api started/)]);

    const lastPolls = async () => {
      const rows = (await direct!.db('channel_sync_state').whereIn('node_channel_id', nodes.map((n) => n.channel.id)).select('node_channel_id', 'last_poll_at')) as Array<{ last_poll_at: Date | null }>;
      return rows.map((r) => r.last_poll_at?.getTime() ?? 0);
    };
    const health = async () => ((await (await fetch(`http://127.0.0.1:${API_PORT}/health`)).json()) as { status: string }).status;
    await waitFor(async () => (await lastPolls()).filter((t) => t > 0).length === nodes.length, { what: 'every channel polled once', timeoutMs: 30_000 });
    live = await connectLive(`ws://127.0.0.1:${API_PORT}/api/v1/ws`, { key: ADMIN_KEY });

    // The breaker stuck open (as after a database outage whose probe is far away): polling stops.
    await direct.breaker.forceOpen('test: open before Redis is lost');
    await waitFor(() => direct!.queues.poll.isPaused(), { what: 'poll queue paused by the breaker' });
    expect(await direct.redis.exists(direct.breaker.keys.pollPausedByBreaker)).toBe(1);

    const telemetryBefore = live.all('TELEMETRY_UPDATE').length;
    await redis.kill();
    const killedAt = Date.now();
    await waitFor(async () => (await health().catch(() => 'unreachable')) === 'degraded', { what: '/health degraded while Redis is down', timeoutMs: 10_000 });
    await redis.start();
    const restartedAt = Date.now();
    expect(restartedAt - killedAt).toBeGreaterThan(0);

    // Within two poll intervals (plus the reconnect, whose backoff is a few hundred ms this early), every channel.
    await waitFor(async () => (await lastPolls()).every((t) => t > restartedAt), { what: 'every channel polled after the restart', timeoutMs: 2 * INTERVAL_MS + 3_000 });
    expect((await direct.breaker.snapshot()).state).toBe('closed');
    expect(await direct.queues.poll.isPaused()).toBe(false);
    expect(await direct.redis.exists(direct.breaker.keys.pollPausedByBreaker)).toBe(0);
    await waitFor(async () => (await health()) === 'ok', { what: '/health ok again', timeoutMs: 10_000 });
    await waitFor(() => live!.all('TELEMETRY_UPDATE').length > telemetryBefore, { what: 'live telemetry after the restart', timeoutMs: 10_000 });
    expect(live.closeCode()).toBeUndefined(); // the same socket, never reconnected

    // One scheduler per id, each restored by exactly one of the two workers, and ticks an interval apart.
    await waitFor(async () => (await Promise.all(QUEUE_NAMES.map((q) => direct!.queues[q].getJobSchedulersCount()))).reduce((a, b) => a + b, 0) === SCHEDULER_IDS.length, {
      what: 'every scheduler back',
    });
    const schedulers = (await Promise.all(QUEUE_NAMES.map((q) => direct!.queues[q].getJobSchedulers()))).flat().map((s) => s.key);
    expect(schedulers.sort()).toEqual([...SCHEDULER_IDS].sort());
    const restored = [...linesOf(w1, 'job schedulers restored'), ...linesOf(w2, 'job schedulers restored')].flatMap((r) => r.schedulers as string[]);
    expect(restored.sort()).toEqual([...SCHEDULER_IDS].sort());
    const checkTicksFrom = Date.now();
    await waitFor(() => Date.now() > checkTicksFrom + 3 * INTERVAL_MS, { what: 'three more intervals', timeoutMs: 4 * INTERVAL_MS });
    const ticks = [...linesOf(w1, 'poll tick fanned out'), ...linesOf(w2, 'poll tick fanned out')]
      .map((r) => Date.parse(r.time))
      .filter((t) => t > restartedAt)
      .sort((a, b) => a - b);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < ticks.length; i += 1) expect(ticks[i]! - ticks[i - 1]!).toBeGreaterThan(INTERVAL_MS / 2);

    // Cursors live in Postgres: everything written before, during and after the loss, once each.
    sim.stopGenerator();
    for (const { channel } of nodes) {
      const produced = sim.entries(channel.channelId).length;
      const stored = await waitFor(
        async () => {
          const entries = await storedEntries(direct!, channel.id);
          return entries.length >= produced ? entries : undefined;
        },
        { what: `channel ${channel.channelId} caught up`, timeoutMs: 4 * INTERVAL_MS + 5_000 },
      );
      expect(stored!.map((e) => e.entryId)).toEqual(Array.from({ length: produced }, (_, i) => i + 1));
    }
    for (const p of procs) expect(p.child.exitCode).toBeNull();
  }, 120_000);
});
