import type { Job } from 'bullmq';
import { ensureChannelEpoch } from '../../../src/shared/readings/channel-epochs';
import { insertReadings } from '../../../src/shared/readings/reading-writer';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers';
import { UPDATE_ROLLUPS_SCHEDULER_ID } from '../../../src/workers/job-schedulers';
import { createNode } from '../../helpers/factories';
import { recomputedBuckets, storedBuckets } from '../../helpers/rollups';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { waitFor } from '../../helpers/wait-for';

/** The update-rollups job on the maintenance queue, run by a real worker. */
describe('update-rollups on the maintenance queue', () => {
  let core: TestCore;
  let workers: RunningWorkers;

  beforeAll(async () => {
    core = createTestCore({ WORKER_QUEUES: 'maintenance', ROLLUP_EVERY_MS: '600000' });
    workers = await startWorkers(core);
  });

  afterAll(async () => {
    await workers.close();
    await core.close();
  });

  test('when the worker starts, then the update-rollups scheduler exists with ROLLUP_EVERY_MS', async () => {
    expect(await core.queues.maintenance.getJobScheduler(UPDATE_ROLLUPS_SCHEDULER_ID)).toMatchObject({ every: 600_000, name: 'update-rollups' });
  });

  test('when the job runs after readings were stored, then it completes and the buckets equal the recomputation', async () => {
    const { node, channel } = await createNode(core);
    const channelEpochId = await ensureChannelEpoch(core.db, channel.id, 0);
    const t = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000; // minutes 1-3 of one hour
    await insertReadings(core.db, [1, 2, 3].map((entryId) => ({ channelEpochId, entryId, recordedAt: new Date(t + entryId * 60_000), fields: { field1: '20', field2: String(40 + entryId) } })));
    await core.db('channel_sync_state').where({ node_channel_id: channel.id }).update({ last_entry_id: 3 });

    const job = (await core.queues.maintenance.add('update-rollups', {})) as Job;
    await waitFor(async () => (await core.queues.maintenance.getJobState(job.id!)) === 'completed', { what: 'update-rollups completed' });
    // A scheduled run may have held the rollup lock meanwhile (this one then skipped): either folds them.
    await waitFor(async () => (await storedBuckets(core, node.id)).length === 8, { what: 'buckets of the node' });

    expect(await storedBuckets(core, node.id)).toEqual(await recomputedBuckets(core, node.id));
  });

  test('when an update-rollups job carries a poisoned payload, then it fails once without retries', async () => {
    const job = (await core.queues.maintenance.add('update-rollups', { meta: 5 } as never)) as Job;
    await waitFor(async () => (await core.queues.maintenance.getJobState(job.id!)) === 'failed', { what: 'poisoned job failed' });
    const failed = await core.queues.maintenance.getJob(job.id!);

    expect(failed!.attemptsStarted).toBe(1);
    expect(failed!.failedReason).toMatch(/invalid payload for update-rollups/);
  });
});
