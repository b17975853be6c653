import type { Job } from 'bullmq';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers';
import { createThingSpeakSimulator } from '../../../src/simulator/thingspeak-simulator';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { createNode } from '../../helpers/factories';
import { storedEntries, syncState } from '../../helpers/readings';
import { apiClient, issueKey } from '../../helpers/http';
import { waitFor } from '../../helpers/wait-for';

type Simulator = ReturnType<typeof createThingSpeakSimulator>;

describe('poll queues: tick, poll jobs, retries', () => {
  let sim: Simulator;
  let core: TestCore;
  let workers: RunningWorkers;

  beforeAll(async () => {
    sim = createThingSpeakSimulator();
    const { url } = await sim.listen(0);
    core = createTestCore({ THINGSPEAK_BASE_URL: url, POLL_INTERVAL_MS: '1000', THINGSPEAK_TIMEOUT_MS: '2000' });
    workers = await startWorkers(core);
  });

  afterAll(async () => {
    await workers.close();
    await core.close();
    await sim.close();
  });

  test('when the scheduler ticks, then every active channel is polled and its entries stored', async () => {
    const a = await createNode(core);
    const b = await createNode(core);
    sim.createChannel({ id: a.channel.channelId });
    sim.createChannel({ id: b.channel.channelId });
    // The newest entries are a minute old: within three expected intervals (60 s), so online.
    sim.appendGenerated(a.channel.channelId, 25, { start: new Date(Date.now() - 25 * 60_000), stepMs: 60_000 });
    sim.appendGenerated(b.channel.channelId, 12, { start: new Date(Date.now() - 12 * 60_000), stepMs: 60_000 });

    await waitFor(async () => (await storedEntries(core, a.channel.id)).length === 25 && (await storedEntries(core, b.channel.id)).length === 12, {
      what: 'both channels mirrored by ticks',
      timeoutMs: 20_000,
    });
    const schedulers = await core.queues['poll-control'].getJobSchedulers();
    expect(schedulers.map((s) => s.key ?? s.id)).toContain('poll-tick');
    expect((await core.repos.nodes.get({ role: 'superadmin' }, a.node.id))?.status).toBe('Online');
  });

  test('when ThingSpeak answers 500 once, then the error is recorded and the job is retried with backoff until it succeeds', async () => {
    const { channel } = await createNode(core);
    sim.createChannel({ id: channel.channelId });
    sim.appendGenerated(channel.channelId, 5, { start: new Date(Date.now() - 600_000), stepMs: 60_000 });
    sim.setFault(channel.channelId, { kind: 'http500', times: 1 });

    const job = await core.producers.enqueuePoll({ nodeChannelId: channel.id, reason: 'on-demand' });
    await waitFor(async () => (await syncState(core, channel.id))?.last_error_code === 'THINGSPEAK_SERVER_ERROR', { what: 'error recorded' });
    await waitFor(async () => (await core.queues.poll.getJobState(job.id!)) === 'completed', { what: 'retried job completed', timeoutMs: 30_000 });
    const done = await core.queues.poll.getJob(job.id!);

    expect(done!.attemptsMade).toBeGreaterThanOrEqual(1);
    expect(done!.opts.backoff).toMatchObject({ type: 'exponential' });
    expect(await storedEntries(core, channel.id)).toHaveLength(5);
    expect(await syncState(core, channel.id)).toMatchObject({ last_error: null, consecutive_failures: 0 });
  });

  test('when another holder has the channel lock, then the poll waits (delayed, no attempt used) and runs once it is free', async () => {
    const { channel } = await createNode(core);
    sim.createChannel({ id: channel.channelId });
    sim.appendGenerated(channel.channelId, 4, { start: new Date(Date.now() - 60_000), stepMs: 10_000 });
    const lockKey = `${core.prefix}:lock:poll:${channel.id}`;
    await core.redis.set(lockKey, 'held-by-a-dead-worker', 'PX', 60_000);

    const job = await core.producers.enqueuePoll({ nodeChannelId: channel.id, reason: 'on-demand' });
    await waitFor(async () => (await core.queues.poll.getJobState(job.id!)) === 'delayed', { what: 'job delayed while the lock is held' });
    expect(await storedEntries(core, channel.id)).toHaveLength(0);
    await core.redis.del(lockKey);
    await core.queues.poll.getJob(job.id!).then((j) => j?.promote());

    await waitFor(async () => (await core.queues.poll.getJobState(job.id!)) === 'completed', { what: 'job completed after the lock was freed' });
    expect(await storedEntries(core, channel.id)).toHaveLength(4);
    // BullMQ counts the successful run; a delay that used up an attempt would make this 2.
    expect((await core.queues.poll.getJob(job.id!))!.attemptsMade).toBe(1);
  });

  test('when a poll job carries a poisoned payload, then it fails once without retries', async () => {
    const job = (await core.queues.poll.add('poll-channel', { nodeChannelId: 'not-a-uuid' })) as Job;
    await waitFor(async () => (await core.queues.poll.getJobState(job.id!)) === 'failed', { what: 'poisoned job failed' });
    const failed = await core.queues.poll.getJob(job.id!);
    expect(failed!.attemptsStarted).toBe(1);
    expect(failed!.opts.attempts).toBeGreaterThan(1); // retries were allowed, and not used
    expect(failed!.failedReason).toMatch(/invalid payload for poll-channel: nodeChannelId/);
  });

  test('when a poll is asked for over the API, then 202 gives a job id whose status shows the result', async () => {
    const { node, channel } = await createNode(core);
    sim.createChannel({ id: channel.channelId });
    sim.appendGenerated(channel.channelId, 3, { start: new Date(Date.now() - 60_000), stepMs: 10_000 });
    const api = apiClient(core, await issueKey(core, { role: 'superadmin' }));

    const accepted = await api.post(`/api/v1/nodes/${node.id}/poll`, {}).expect(202);
    const jobId = accepted.body.data.jobId as string;
    const status = await waitFor(async () => {
      const res = await api.get(`/api/v1/jobs/${jobId}`).expect(200);
      return res.body.data.state === 'completed' ? res.body.data : undefined;
    }, { what: 'on-demand poll completed' });

    expect(status).toMatchObject({ id: jobId, queue: 'poll', nodeId: node.id, failedReason: null });
    expect(status.result).toMatchObject({ outcome: 'polled' });
    const after = await api.get(`/api/v1/nodes/${node.id}`).expect(200);
    expect(after.body.data.channels[0].sync).toMatchObject({ storedEntries: 3, highestStoredEntryId: 3, thingspeakLastEntryId: 3 });
    expect(after.body.data.channels[0].sync.lastPollAt).not.toBeNull();
    await api.get('/api/v1/jobs/999999999').expect(404);
  });
});
