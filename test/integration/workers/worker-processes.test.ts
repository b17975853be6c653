import { createThingSpeakSimulator } from '../../../src/simulator/thingspeak-simulator';
import { createTestCore, testEnv, type TestCore } from '../../helpers/test-core';
import { createNode } from '../../helpers/factories';
import { storedEntries } from '../../helpers/readings';
import { startProcess, stopProcess, type RunningProcess } from '../../helpers/processes';
import { waitFor } from '../../helpers/wait-for';

type Simulator = ReturnType<typeof createThingSpeakSimulator>;

/** Real worker processes (tsx), one Redis, one Postgres, the simulator on loopback. */
describe('worker processes', () => {
  let sim: Simulator;
  let simUrl: string;
  const running: RunningProcess[] = [];

  beforeAll(async () => {
    sim = createThingSpeakSimulator();
    simUrl = (await sim.listen(0)).url;
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => stopProcess(p)));
  });

  afterAll(async () => {
    await sim.close();
  });

  function workerEnv(core: TestCore, extra: Record<string, string> = {}) {
    return testEnv({ QUEUE_PREFIX: core.prefix, THINGSPEAK_BASE_URL: simUrl, THINGSPEAK_TIMEOUT_MS: '5000', LOG_LEVEL: 'debug', ...extra });
  }

  function start(core: TestCore, extra: Record<string, string> = {}): RunningProcess {
    const p = startProcess('workers/main.ts', workerEnv(core, extra));
    running.push(p);
    return p;
  }

  test('when two worker processes share one Redis, then no channel is ever polled twice at the same time and all data is stored once', async () => {
    const core = createTestCore({ THINGSPEAK_BASE_URL: simUrl });
    try {
      const nodes = await Promise.all(Array.from({ length: 8 }, () => createNode(core)));
      for (const { channel } of nodes) {
        sim.createChannel({ id: channel.channelId });
        sim.appendGenerated(channel.channelId, 40, { start: new Date(Date.now() - 3600_000), stepMs: 60_000 });
      }
      sim.setLatency(150); // makes overlapping requests for one channel observable
      sim.resetStats();
      // Each worker can hold only half the channels at once, so the other must take the rest.
      const w1 = start(core, { POLL_INTERVAL_MS: '1000', POLL_CONCURRENCY: '4' });
      const w2 = start(core, { POLL_INTERVAL_MS: '1000', POLL_CONCURRENCY: '4' });
      await Promise.all([w1.waitForLine(/worker started/), w2.waitForLine(/worker started/)]);

      // On-demand polls on top of the ticks, from another producer, while both workers run.
      for (let round = 0; round < 5; round++) {
        await Promise.all(nodes.map(({ channel }) => core.producers.enqueuePoll({ nodeChannelId: channel.id, reason: 'on-demand' })));
        for (const { channel } of nodes) sim.appendGenerated(channel.channelId, 3, { start: new Date(Date.now() - 10_000), stepMs: 1_000 });
        await waitFor(() => Object.keys(sim.stats().requests).length > 0, { what: 'requests' });
      }
      await waitFor(
        async () => {
          for (const { channel } of nodes) {
            if ((await storedEntries(core, channel.id)).length !== sim.entries(channel.channelId).length) return false;
          }
          return true;
        },
        { what: 'every channel mirrored', timeoutMs: 40_000 },
      );

      // Both processes did poll work: the load was shared, not serialised on one. Ticks keep coming
      // every second, so wait for it with a deadline rather than sampling once.
      const polled = (w: RunningProcess) => w.output.some((l) => l.includes('channel polled'));
      await waitFor(() => polled(w1) && polled(w2), { what: 'both workers polled', timeoutMs: 20_000 });

      const stats = sim.stats();
      for (const { channel } of nodes) {
        expect(stats.maxConcurrent[channel.channelId]).toBe(1);
        const stored = await storedEntries(core, channel.id);
        expect(stored.map((s) => s.entryId)).toEqual(sim.entries(channel.channelId).map((e) => e.entryId).sort((a, b) => a - b));
      }
      expect(polled(w1)).toBe(true);
      expect(polled(w2)).toBe(true);
    } finally {
      sim.setLatency(0);
      await core.close();
    }
  });

  test('when a worker is killed mid-poll, then the job is retried by another worker and nothing is stored twice', async () => {
    const core = createTestCore({ THINGSPEAK_BASE_URL: simUrl });
    try {
      const { channel } = await createNode(core);
      sim.createChannel({ id: channel.channelId });
      sim.appendGenerated(channel.channelId, 12_000, { start: new Date(Date.now() - 5 * 86400_000), stepMs: 30_000 });
      // Slow pages: the victim is still fetching when it is killed.
      sim.setFault(channel.channelId, { kind: 'slow', delayMs: 1_500 });
      const victim = start(core, { POLL_INTERVAL_MS: '3600000', WORKER_LOCK_MS: '2000', WORKER_QUEUES: 'poll' });
      await victim.waitForLine(/worker started/);
      const job = await core.producers.enqueuePoll({ nodeChannelId: channel.id, reason: 'on-demand' });
      await waitFor(async () => (await core.queues.poll.getJobState(job.id!)) === 'active', { what: 'job active on the victim' });
      victim.kill('SIGKILL');
      expect(await victim.exited).toBe('SIGKILL');
      sim.setFault(channel.channelId, null);

      const rescuer = start(core, { POLL_INTERVAL_MS: '3600000', WORKER_LOCK_MS: '2000', WORKER_QUEUES: 'poll' });
      await rescuer.waitForLine(/worker started/);
      await waitFor(async () => (await core.queues.poll.getJobState(job.id!)) === 'completed', { what: 'stalled job completed by the rescuer', timeoutMs: 40_000 });

      const stored = await storedEntries(core, channel.id);
      expect(stored).toHaveLength(12_000);
      expect(new Set(stored.map((s) => s.entryId)).size).toBe(12_000);
      expect(rescuer.output.some((l) => l.includes('channel polled'))).toBe(true);
    } finally {
      sim.setFault('*', null);
      await core.close();
    }
  });

  test('when a worker gets SIGTERM during a poll, then it finishes the job, closes and exits 0', async () => {
    const core = createTestCore({ THINGSPEAK_BASE_URL: simUrl });
    try {
      const { channel } = await createNode(core);
      sim.createChannel({ id: channel.channelId });
      sim.appendGenerated(channel.channelId, 30, { start: new Date(Date.now() - 600_000), stepMs: 10_000 });
      sim.setFault(channel.channelId, { kind: 'slow', delayMs: 800 });
      const worker = start(core, { POLL_INTERVAL_MS: '3600000', WORKER_QUEUES: 'poll' });
      await worker.waitForLine(/worker started/);
      const job = await core.producers.enqueuePoll({ nodeChannelId: channel.id, reason: 'on-demand' });
      await waitFor(async () => (await core.queues.poll.getJobState(job.id!)) === 'active', { what: 'job active' });

      worker.kill('SIGTERM');

      expect(await worker.exited).toBe(0);
      expect(await core.queues.poll.getJobState(job.id!)).toBe('completed');
      expect(await storedEntries(core, channel.id)).toHaveLength(30);
      expect(worker.output.some((l) => l.includes('shutdown complete'))).toBe(true);
    } finally {
      sim.setFault('*', null);
      await core.close();
    }
  });
});

