import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { createNode } from '../../helpers/factories';
import { waitFor } from '../../helpers/wait-for';
import { itDatabaseUrl } from '../../setup/test-env';

/**
 * A burst of SQL errors (here: permission denied, SQLSTATE 42501, from a role with no grants)
 * is a bug, not an outage: the jobs fail and retry with backoff, and the breaker stays closed.
 */
describe('breaker and SQL errors', () => {
  const role = 'evara_it_noaccess';
  let direct: TestCore;
  let worker: TestCore;
  let running: RunningWorkers;

  beforeAll(async () => {
    direct = createTestCore();
    await direct.db.raw(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN CREATE ROLE ${role} LOGIN; END IF; END $$`);
    const url = new URL(itDatabaseUrl());
    url.username = role;
    worker = createTestCore({ QUEUE_PREFIX: direct.prefix, DATABASE_URL: url.toString(), CIRCUIT_FAILURE_THRESHOLD: '3', POLL_INTERVAL_MS: '3600000' });
    running = await startWorkers(worker);
  });

  afterAll(async () => {
    await running.close(true);
    await worker.close();
    await direct.close();
  });

  test('when many polls fail with SQL errors, then they are retried as failures and the breaker never opens', async () => {
    const nodes = await Promise.all(Array.from({ length: 6 }, () => createNode(direct)));
    const jobs = await Promise.all(nodes.map(({ channel }) => direct.producers.enqueuePoll({ nodeChannelId: channel.id, reason: 'on-demand' })));

    await waitFor(async () => {
      const states = await Promise.all(jobs.map((j) => direct.queues.poll.getJob(j.id!)));
      return states.every((j) => (j?.attemptsMade ?? 0) >= 1);
    }, { what: 'every job failed once', timeoutMs: 20_000 });

    const failed = await direct.queues.poll.getJob(jobs[0]!.id!);
    expect(failed!.failedReason).toMatch(/permission denied/);
    expect(await direct.breaker.snapshot()).toMatchObject({ state: 'closed', failures: 0 });
    expect(await direct.queues.poll.isPaused()).toBe(false);
  });
});
