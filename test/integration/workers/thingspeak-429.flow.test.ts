import { randomUUID } from 'node:crypto';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers';
import { createThingSpeakSimulator } from '../../../src/simulator/thingspeak-simulator';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { createNode } from '../../helpers/factories';
import { storedEntries, syncState } from '../../helpers/readings';
import { waitFor } from '../../helpers/wait-for';

type Simulator = ReturnType<typeof createThingSpeakSimulator>;

/**
 * ThingSpeak's 429: the channel's next attempt waits Retry-After without using an attempt, and
 * every worker lowers its poll rate (AIMD, shared through Redis).
 */
describe('ThingSpeak rate limiting (429)', () => {
  let sim: Simulator;
  let a: TestCore;
  let b: TestCore;
  let runA: RunningWorkers;
  let runB: RunningWorkers;

  beforeAll(async () => {
    sim = createThingSpeakSimulator();
    const { url } = await sim.listen(0);
    const env = {
      QUEUE_PREFIX: `h-pool-${randomUUID().slice(0, 8)}`,
      THINGSPEAK_BASE_URL: url,
      WORKER_QUEUES: 'poll',
      POLL_INTERVAL_MS: '3600000',
      POLL_MAX_PER_SECOND: '100',
      // A climb back so slow that the halved rate is still there when the test looks.
      POLL_RATE_RECOVERY_MS: '3600000',
      CIRCUIT_CHECK_MS: '100',
    };
    a = createTestCore(env);
    b = createTestCore(env);
    runA = await startWorkers(a);
    runB = await startWorkers(b);
  });

  afterAll(async () => {
    await runA.close(true);
    await runB.close(true);
    await b.close();
    await a.close();
    await sim.close();
  });

  test('when ThingSpeak answers 429 with Retry-After, then the channel waits that long without using an attempt and every worker polls slower', async () => {
    const { channel } = await createNode(a);
    sim.createChannel({ id: channel.channelId });
    sim.appendGenerated(channel.channelId, 3, { start: new Date(Date.now() - 180_000), stepMs: 60_000 });
    // 8 s: longer than the queue's first backoff (5 s with jitter), so only Retry-After explains the wait.
    sim.setFault(channel.channelId, { kind: 'http429', times: 1, retryAfterSeconds: 8 });
    expect([runA.pollRateLimit(), runB.pollRateLimit()]).toEqual([100, 100]);

    const job = await a.producers.enqueuePoll({ nodeChannelId: channel.id, reason: 'on-demand' });
    await waitFor(async () => (await a.queues.poll.getJobState(job.id!)) === 'delayed' && (await syncState(a, channel.id))?.last_error_code === 'THINGSPEAK_RATE_LIMITED', {
      what: 'the throttled poll put back to wait',
    });
    const deferredAt = Date.now();

    expect((await a.queues.poll.getJob(job.id!))!.attemptsMade).toBe(0);
    await waitFor(() => runA.pollRateLimit() === 50 && runB.pollRateLimit() === 50, { what: 'both workers at half the poll rate' });

    await waitFor(async () => (await a.queues.poll.getJobState(job.id!)) === 'completed', { what: 'the poll after Retry-After', timeoutMs: 20_000 });
    const done = (await a.queues.poll.getJob(job.id!))!;
    expect(done.attemptsMade).toBe(1);
    expect(done.processedOn! - deferredAt).toBeGreaterThanOrEqual(7_500);
    expect(await storedEntries(a, channel.id)).toHaveLength(3);
    // One request answered 429, one after Retry-After: no retries in between.
    expect(sim.stats().requests[String(channel.channelId)]).toBe(2);
  });

  test('when the poll rate is lowered, then BullMQ starts no more polls per second than it allows, across both workers', async () => {
    // What the AIMD state says after several halvings: 2 polls/s, climbing back over an hour.
    await a.redis.hset(`${a.prefix}:poll-rate:shared`, 'base', '2', 'at', String(Date.now()));
    await Promise.all([runA.checkPolling(), runB.checkPolling()]);
    expect([runA.pollRateLimit(), runB.pollRateLimit()]).toEqual([2, 2]);
    const nodes = await Promise.all(Array.from({ length: 8 }, () => createNode(a)));
    for (const { channel } of nodes) sim.createChannel({ id: channel.channelId });

    const jobs = await Promise.all(nodes.map(({ channel }) => a.producers.enqueuePoll({ nodeChannelId: channel.id, reason: 'on-demand' })));
    await waitFor(async () => (await Promise.all(jobs.map((j) => a.queues.poll.getJobState(j.id!)))).every((s) => s === 'completed'), { what: 'all 8 polls done', timeoutMs: 20_000 });

    const starts = (await Promise.all(jobs.map(async (j) => (await a.queues.poll.getJob(j.id!))!.processedOn!))).sort((x, y) => x - y);
    // 2 per one-second limiter window: 8 starts span at least three windows (at 100/s they would take a few ms).
    expect(starts[7]! - starts[0]!).toBeGreaterThanOrEqual(2_500);
    await a.redis.del(`${a.prefix}:poll-rate:shared`);
  });
});
