import { randomUUID } from 'node:crypto';
import type { Job } from 'bullmq';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers';
import { createThingSpeakSimulator } from '../../../src/simulator/thingspeak-simulator';
import { POLL_JOB_RECORD_TTL_S, pollJobRecordKey, type PollJobRecord, type PollJobRecordState } from '../../../src/shared/queues/poll-job-records';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { createNode } from '../../helpers/factories';
import { apiClient, issueKey, type ApiClient } from '../../helpers/http';
import { waitFor } from '../../helpers/wait-for';

type Simulator = ReturnType<typeof createThingSpeakSimulator>;

// Five times the poll queue's removeOnComplete count (1,000): enough to trim any older job.
const SCHEDULED_POLLS = 5_000;

describe('GET /jobs/:id after BullMQ has trimmed the job', () => {
  let sim: Simulator;
  let core: TestCore;
  let workers: RunningWorkers;
  let api: ApiClient;

  beforeAll(async () => {
    sim = createThingSpeakSimulator();
    const { url } = await sim.listen(0);
    // Only the poll queue: no tick scheduler adding polls of other tests' channels.
    core = createTestCore({ THINGSPEAK_BASE_URL: url, THINGSPEAK_TIMEOUT_MS: '2000', WORKER_QUEUES: 'poll', POLL_MAX_PER_SECOND: '10000' });
    workers = await startWorkers(core);
    api = apiClient(core, await issueKey(core, { role: 'superadmin' }));
  });

  afterAll(async () => {
    await workers.close();
    await core.close();
    await sim.close();
  });

  const recordKey = (jobId: string) => pollJobRecordKey(core.prefix, jobId);

  async function recordOnceIn(jobId: string, state: PollJobRecordState, timeoutMs?: number): Promise<PollJobRecord> {
    const record = await waitFor(async () => {
      const r = await core.pollJobRecords.get(jobId);
      return r?.state === state ? r : undefined;
    }, { what: `record of ${jobId} in state ${state}`, timeoutMs });
    return record!;
  }

  test('when thousands of scheduled polls finish after an on-demand poll, then its status is still readable, in scope only, and theirs is not', async () => {
    const { node, channel } = await createNode(core);
    sim.createChannel({ id: channel.channelId });
    sim.appendGenerated(channel.channelId, 3, { start: new Date(Date.now() - 60_000), stepMs: 10_000 });

    const accepted = await api.post(`/api/v1/nodes/${node.id}/poll`, {}).expect(202);
    const jobId = accepted.body.data.jobId as string;
    await waitFor(async () => (await api.get(`/api/v1/jobs/${jobId}`).expect(200)).body.data.state === 'completed', { what: 'on-demand poll completed' });

    const finishedTicks: string[] = [];
    const poll = workers.workers.get('poll')!;
    const onFinished = (job: Job | undefined) => {
      if (job?.id && (job.data as { reason?: string }).reason === 'tick' && (job.finishedOn ?? 0) > 0) finishedTicks.push(job.id);
    };
    poll.on('completed', onFinished);
    poll.on('failed', onFinished);
    try {
      // Channels that do not exist: each poll is skipped at once, so the test spends its time on trimming.
      const targets = Array.from({ length: SCHEDULED_POLLS }, () => ({ nodeChannelId: randomUUID() }));
      await core.producers.enqueuePolls(targets, 'tick');
      await waitFor(() => finishedTicks.length === SCHEDULED_POLLS, { what: 'scheduled polls finished', timeoutMs: 50_000, intervalMs: 200 });
    } finally {
      poll.off('completed', onFinished);
      poll.off('failed', onFinished);
    }

    // Proves that what follows is answered from the record, not from BullMQ.
    expect(await core.queues.poll.getJob(jobId)).toBeUndefined();
    const status = (await api.get(`/api/v1/jobs/${jobId}`).expect(200)).body.data;
    expect(status).toMatchObject({ id: jobId, queue: 'poll', name: 'poll-channel', nodeId: node.id, nodeChannelId: channel.id, state: 'completed', failedReason: null, attemptsMade: 1, maxAttempts: 6 });
    expect(status.result).toMatchObject({ outcome: 'polled' });
    expect(Date.parse(status.finishedAt)).toBeGreaterThanOrEqual(Date.parse(status.createdAt));
    const ttl = await core.redis.ttl(recordKey(jobId));
    expect(ttl).toBeGreaterThan(POLL_JOB_RECORD_TTL_S - 120);
    expect(ttl).toBeLessThanOrEqual(POLL_JOB_RECORD_TTL_S);

    // The first scheduled poll was trimmed too, and left nothing to read.
    const firstTick = finishedTicks[0]!;
    expect(await core.queues.poll.getJob(firstTick)).toBeUndefined();
    expect(await core.redis.exists(recordKey(firstTick))).toBe(0);
    expect((await api.get(`/api/v1/jobs/${firstTick}`).expect(404)).body.code).toBe('JOB_NOT_FOUND');
    // No scheduled poll wrote a record: the only one is the on-demand poll's.
    expect(await core.redis.keys(`${core.prefix}:poll-job-record:*`)).toEqual([recordKey(jobId)]);

    const community = await core.repos.communities.findBySlug('default');
    const inScope = await issueKey(core, { role: 'customer', communityId: community!.id }, 'job status: own community');
    await api.get(`/api/v1/jobs/${jobId}`, inScope).expect(200);
    const other = await core.repos.communities.create({ slug: `jobs-${randomUUID().slice(0, 8)}`, name: 'Job status other community', distributorId: null });
    if (other === 'slug_taken') throw new Error('community slug collision in a test');
    const outOfScope = await issueKey(core, { role: 'customer', communityId: other.id }, 'job status: other community');
    expect((await api.get(`/api/v1/jobs/${jobId}`, outOfScope).expect(404)).body.code).toBe('JOB_NOT_FOUND');
  }, 90_000);

  test('when a watched poll fails and is retried, then the record says retrying, then completed', async () => {
    const { channel } = await createNode(core);
    sim.createChannel({ id: channel.channelId });
    sim.appendGenerated(channel.channelId, 2, { start: new Date(Date.now() - 60_000), stepMs: 10_000 });
    sim.setFault(channel.channelId, { kind: 'http500', times: 1 });

    const job = await core.producers.enqueuePoll({ nodeChannelId: channel.id, reason: 'on-demand' });
    const retrying = await recordOnceIn(job.id!, 'retrying');
    expect(retrying).toMatchObject({ attemptsMade: 1, finishedAt: null });
    expect(retrying.failedReason).toBeTruthy();

    const completed = await recordOnceIn(job.id!, 'completed', 30_000);
    expect(completed).toMatchObject({ attemptsMade: 2, nodeChannelId: channel.id, result: { outcome: 'polled' } });
  }, 60_000);

  test('when a watched poll fails without retry, then the record says failed though attempts were left', async () => {
    const jobId = `watched-${randomUUID()}`;
    const nodeChannelId = randomUUID();
    await core.pollJobRecords.watch(jobId, { nodeChannelId, createdAt: Date.now(), maxAttempts: 6 });
    // A payload the contract refuses: an UnrecoverableError on the first attempt.
    await core.queues.poll.add('poll-channel', { nodeChannelId, reason: 'not-a-reason' }, { jobId });

    const failed = await recordOnceIn(jobId, 'failed');
    expect(failed).toMatchObject({ attemptsMade: 1, maxAttempts: 6, nodeChannelId });
    expect(failed.failedReason).toMatch(/invalid payload/);
    expect(failed.finishedAt).not.toBeNull();
  });

  test('recordOutcome writes only over a watch, and a second watch does not erase an outcome', async () => {
    const finished = (id: string) => ({
      id,
      name: 'poll-channel',
      data: { nodeChannelId: randomUUID() },
      attemptsMade: 1,
      opts: { attempts: 6 },
      returnvalue: { outcome: 'polled' },
      timestamp: Date.now() - 1_000,
      processedOn: Date.now() - 500,
      finishedOn: Date.now(),
    });

    const unwatched = `unwatched-${randomUUID()}`;
    expect(await core.pollJobRecords.recordOutcome(finished(unwatched), 'completed')).toBe(false);
    expect(await core.redis.exists(recordKey(unwatched))).toBe(0);
    expect(await core.pollJobRecords.get(unwatched)).toBeUndefined();

    const watched = `watched-${randomUUID()}`;
    const job = finished(watched);
    await core.pollJobRecords.watch(watched, { nodeChannelId: job.data.nodeChannelId, createdAt: job.timestamp, maxAttempts: 6 });
    expect(await core.pollJobRecords.get(watched)).toMatchObject({ state: 'waiting', attemptsMade: 0 });
    expect(await core.pollJobRecords.recordOutcome(job, 'completed')).toBe(true);
    await core.pollJobRecords.watch(watched, { nodeChannelId: job.data.nodeChannelId, createdAt: job.timestamp, maxAttempts: 6 });
    expect(await core.pollJobRecords.get(watched)).toMatchObject({ state: 'completed', attemptsMade: 1, result: { outcome: 'polled' }, finishedAt: job.finishedOn });
  });
});
