import request from 'supertest';
import { Redis } from 'ioredis';
import { UnrecoverableError, Worker } from 'bullmq';
import { createApp } from '../../../src/api/app';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { waitFor } from '../../helpers/wait-for';

/**
 * /health turns degraded once the poll queue holds more failed jobs than HEALTH_FAILED_POLLS_DEGRADED.
 * Jobs really fail: a BullMQ worker on the test's own queue prefix throws UnrecoverableError (no retry).
 */
describe('GET /health and failed poll jobs', () => {
  const THRESHOLD = 3;
  let core: TestCore;
  let worker: Worker;
  let workerConnection: Redis;

  beforeAll(async () => {
    core = createTestCore({ HEALTH_FAILED_POLLS_DEGRADED: String(THRESHOLD) }, 'api');
    workerConnection = new Redis(core.config.redis.url, { maxRetriesPerRequest: null });
    worker = new Worker(
      'poll',
      async (): Promise<void> => {
        throw new UnrecoverableError('test: this poll job fails for good');
      },
      { connection: workerConnection, prefix: core.prefix },
    );
  });

  afterAll(async () => {
    await worker?.close();
    workerConnection?.disconnect();
    await core?.close();
  });

  async function failPollJobs(n: number, expectedTotal: number): Promise<void> {
    for (let i = 0; i < n; i += 1) await core.queues.poll.add('poll', { test: true }, { attempts: 1 });
    await waitFor(async () => ((await core.queues.poll.getFailedCount()) === expectedTotal ? true : undefined), {
      what: `${expectedTotal} failed poll jobs`,
      timeoutMs: 10_000,
    });
  }

  // A new app for each check: /health caches its report for 2 s per router.
  const health = () => request(createApp(core)).get('/health').expect(200);

  test('when failed poll jobs are at the threshold, then /health is ok; above it, degraded with the reason', async () => {
    await failPollJobs(THRESHOLD, THRESHOLD);
    const atThreshold = await health();
    expect(atThreshold.body).toMatchObject({ status: 'ok', reasons: [], services: { queues: { poll: { failed: THRESHOLD } } } });

    await failPollJobs(1, THRESHOLD + 1);
    const above = await health();
    expect(above.body).toMatchObject({ status: 'degraded', services: { queues: { poll: { failed: THRESHOLD + 1 } } } });
    expect(above.body.reasons).toEqual([`poll queue: ${THRESHOLD + 1} failed jobs (threshold ${THRESHOLD})`]);
  });
});
