import { createSchedulerKeeper, type SchedulerKeeper } from '../../../src/workers/scheduler-keeper';
import { schedulersFor, POLL_TICK_SCHEDULER_ID } from '../../../src/workers/job-schedulers';
import { QUEUE_NAMES } from '../../../src/shared/queues/queue-names';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { waitFor } from '../../helpers/wait-for';

/**
 * Two processes' keepers (two cores: own Redis connections and BullMQ queues) on one prefix, no
 * workers: jobs the schedulers add stay where they are, so they can be counted.
 */
describe('job scheduler keeper', () => {
  const cores: TestCore[] = [];
  const keepers: SchedulerKeeper[] = [];
  afterAll(async () => {
    await Promise.all(keepers.map((k) => k.stop()));
    for (const c of cores.reverse()) await c.close();
  });

  function keeperOf(core: TestCore): SchedulerKeeper {
    const { wanted, unwanted } = schedulersFor(core.config);
    const keeper = createSchedulerKeeper({ queues: core.queues, redis: core.redis, prefix: core.prefix, log: core.log, specs: wanted, unwanted, checkMs: 100 });
    keepers.push(keeper);
    return keeper;
  }

  /** Every scheduler on the prefix, and how many of its jobs are waiting to run. */
  async function schedulerState(core: TestCore) {
    const found: Record<string, { every?: number; pattern?: string; pending: number }> = {};
    for (const name of QUEUE_NAMES) {
      const pending = await core.queues[name].getJobs(['waiting', 'delayed', 'prioritized', 'active']);
      for (const s of await core.queues[name].getJobSchedulers()) {
        if (found[s.key]) throw new Error(`scheduler ${s.key} twice`);
        found[s.key] = { every: s.every ?? undefined, pattern: s.pattern ?? undefined, pending: pending.filter((j) => j.repeatJobKey === s.key).length };
      }
    }
    return found;
  }

  /** What a Redis restarted without persistence has lost: every key of the prefix (SCAN, never KEYS, on the shared Redis). */
  async function loseEverything(core: TestCore): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await core.redis.scan(cursor, 'MATCH', `${core.prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await core.redis.del(...keys);
    } while (cursor !== '0');
  }

  const ALL_IDS = ['apply-retention', 'ensure-partitions', 'poll-tick', 'relay-notifications', 'sweep-conditions', 'update-rollups'];

  test('when two processes restore the schedulers at the same moment, again and again, then each exists once with one pending job, created by one call', async () => {
    const a = createTestCore({ ALERT_SWEEP_MS: '60000', POLL_INTERVAL_MS: '60000' });
    cores.push(a);
    const b = createTestCore({ ALERT_SWEEP_MS: '60000', POLL_INTERVAL_MS: '60000', QUEUE_PREFIX: a.prefix });
    cores.push(b);
    const [ka, kb] = [keeperOf(a), keeperOf(b)];

    for (let round = 0; round < 2; round += 1) {
      const created = (await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? ka : kb).ensure()))).flat();
      expect(created.sort()).toEqual(ALL_IDS); // each (re)created by exactly one of the twelve calls
      const state = await schedulerState(a);
      expect(Object.keys(state).sort()).toEqual(ALL_IDS);
      for (const id of ALL_IDS) expect(state[id]!.pending).toBe(1);
      expect(state[POLL_TICK_SCHEDULER_ID]!.every).toBe(60_000);
      // Nothing left to do: a healthy set of schedulers is never touched.
      expect(await Promise.all([ka.ensure(), kb.ensure()])).toEqual([[], []]);

      await loseEverything(a);
      expect(await schedulerState(a)).toEqual({});
    }
  });

  test('when a scheduler next job is gone, then the check adds one; a different interval is applied only at start-up', async () => {
    const a = createTestCore({ POLL_INTERVAL_MS: '60000', WORKER_QUEUES: 'poll-control' });
    cores.push(a);
    const ka = keeperOf(a);
    expect(await ka.ensure({ applyChanges: true })).toEqual([POLL_TICK_SCHEDULER_ID]);
    // The next job lost without its scheduler (a failover to a replica that lagged; BullMQ itself
    // refuses to remove a scheduler's job): the scheduler stays, but would never fire again.
    const [job] = await a.queues['poll-control'].getJobs(['waiting', 'delayed']);
    const queueKey = `${a.prefix}:poll-control`;
    await a.redis.multi().lrem(`${queueKey}:wait`, 0, job!.id!).zrem(`${queueKey}:delayed`, job!.id!).del(`${queueKey}:${job!.id!}`).exec();
    expect((await schedulerState(a))[POLL_TICK_SCHEDULER_ID]!.pending).toBe(0);
    expect(await ka.ensure()).toEqual([POLL_TICK_SCHEDULER_ID]);
    expect((await schedulerState(a))[POLL_TICK_SCHEDULER_ID]!.pending).toBe(1);

    // Another process with another interval (a rolling deploy): its periodic check leaves the schedule alone ...
    const b = createTestCore({ POLL_INTERVAL_MS: '30000', WORKER_QUEUES: 'poll-control', QUEUE_PREFIX: a.prefix });
    cores.push(b);
    const kb = keeperOf(b);
    expect(await kb.ensure()).toEqual([]);
    expect((await schedulerState(a))[POLL_TICK_SCHEDULER_ID]).toMatchObject({ every: 60_000, pending: 1 });
    // ... and its start-up applies its own.
    expect(await kb.ensure({ applyChanges: true })).toEqual([POLL_TICK_SCHEDULER_ID]);
    expect((await schedulerState(a))[POLL_TICK_SCHEDULER_ID]).toMatchObject({ every: 30_000, pending: 1 });
  });

  test('when started, then the keeper restores a lost scheduler by itself within a check interval', async () => {
    const a = createTestCore({ POLL_INTERVAL_MS: '60000', WORKER_QUEUES: 'poll-control' });
    cores.push(a);
    const ka = keeperOf(a);
    ka.start();
    await waitFor(async () => (await schedulerState(a))[POLL_TICK_SCHEDULER_ID]?.pending === 1, { what: 'scheduler created' });
    await loseEverything(a);
    await waitFor(async () => (await schedulerState(a))[POLL_TICK_SCHEDULER_ID]?.pending === 1, { what: 'scheduler restored', timeoutMs: 3_000 });
    expect(a.logs.records().some((r) => r.msg === 'job schedulers restored: Redis had lost them (restarted empty or failed over)')).toBe(true);
  });
});
