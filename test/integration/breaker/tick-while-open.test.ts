import type { Job } from 'bullmq';
import { createPollTickProcessor } from '../../../src/workers/poll-tick.processor';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { createNode } from '../../helpers/factories';

describe('poll tick and the breaker', () => {
  let core: TestCore;
  beforeAll(() => {
    core = createTestCore();
  });
  afterAll(async () => {
    await core.close();
  });

  test('when the breaker is open, then the tick adds no poll jobs; once closed, it fans out again', async () => {
    await createNode(core);
    const tick = createPollTickProcessor({ breaker: core.breaker, nodes: core.repos.nodes, producers: core.producers, intervalMs: core.config.poll.intervalMs });
    const ctx = { job: {} as Job, log: core.log };
    await core.breaker.forceOpen('test');

    expect(await tick({}, ctx)).toEqual({ channels: 0, skipped: 'circuit-open' });
    expect(await core.queues.poll.count()).toBe(0);

    await core.redis.del(core.breaker.keys.state);
    const result = (await tick({}, ctx)) as { channels: number };
    expect(result.channels).toBeGreaterThan(0);
    expect(await core.queues.poll.count()).toBe(result.channels);
  });
});
