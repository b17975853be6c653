import { startBreakerWatch } from '../../../src/workers/breaker-watch';
import { createTestCore, type TestCore } from '../../helpers/test-core';

/** The watch in every worker makes the poll queue's pause agree with the breaker. */
describe('breaker reconciler', () => {
  let core: TestCore;
  let watch: ReturnType<typeof startBreakerWatch>;
  beforeAll(() => {
    core = createTestCore({ CIRCUIT_CHECK_MS: '60000', CIRCUIT_PROBE_BASE_MS: '600000' });
    watch = startBreakerWatch(core);
  });
  afterAll(async () => {
    await watch.stop();
    await core.close();
  });

  test('when a process tripped the breaker but died before pausing, then the next check pauses the queue', async () => {
    await core.breaker.forceOpen('tripped by a process that crashed');
    expect(await core.queues.poll.isPaused()).toBe(false);

    await watch.check();

    expect(await core.queues.poll.isPaused()).toBe(true);
  });

  test('when the breaker closed but the resume was lost, then the next check resumes the queue', async () => {
    await core.redis.del(core.breaker.keys.state); // closed, while the queue is still paused by the breaker
    expect(await core.queues.poll.isPaused()).toBe(true);

    await watch.check();

    expect(await core.queues.poll.isPaused()).toBe(false);
    await watch.check();
    expect(await core.queues.poll.isPaused()).toBe(false);
  });
});
