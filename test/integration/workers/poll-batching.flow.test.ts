import type { Logger } from '../../../src/shared/logger';
import { pollChannel, type PollDeps } from '../../../src/shared/polling/poll-channel';
import { createPollBatches, type PollBatchDeps } from '../../../src/shared/polling/poll-batches';
import { createPollCommitRepository } from '../../../src/shared/polling/poll-commit.repository';
import type { TestCore } from '../../helpers/test-core';
import { openPollRig, type Simulator } from '../../helpers/poll-rig';
import { createNode } from '../../helpers/factories';
import { storedEntries, syncState } from '../../helpers/readings';
import { insertReadings } from '../../../src/shared/readings/reading-writer';

describe('poll-channel at fleet scale: one request, shared commits, paged imports', () => {
  let core: TestCore;
  let sim: Simulator;
  let deps: PollDeps;
  let log: Logger;

  let rig: Awaited<ReturnType<typeof openPollRig>>;

  beforeAll(async () => {
    rig = await openPollRig();
    ({ sim, core, deps } = rig);
    log = core.log;
  });

  afterAll(async () => {
    await rig.close();
  });

  const requestsFor = (channelId: number) => sim.stats().requests[String(channelId)] ?? 0;

  async function expectMirrored(nodeChannelId: string, channelId: number, epoch = 0) {
    const stored = await storedEntries(core, nodeChannelId, epoch);
    const expected = sim.entries(channelId).map((e) => ({ entryId: e.entryId, recordedAt: e.createdAt.getTime() }));
    expect(stored.map((s) => ({ entryId: s.entryId, recordedAt: s.recordedAt }))).toEqual([...expected].sort((a, b) => a.entryId - b.entryId));
  }

  test('when a channel has new entries in the steady state, then one ThingSpeak request stores them', async () => {
    const { channel } = await createNode(core);
    sim.createChannel({ id: channel.channelId });
    sim.appendGenerated(channel.channelId, 20, { start: new Date(Date.now() - 1_200_000), stepMs: 60_000 });
    await pollChannel(deps, channel.id, log);
    const before = requestsFor(channel.channelId);

    sim.appendGenerated(channel.channelId, 2, { start: new Date(Date.now() - 1_000), stepMs: 500 });
    const result = await pollChannel(deps, channel.id, log);
    const nothingNew = await pollChannel(deps, channel.id, log);

    expect(result).toMatchObject({ outcome: 'polled', inserted: 2 });
    expect(nothingNew).toMatchObject({ outcome: 'polled', inserted: 0 });
    expect(requestsFor(channel.channelId) - before).toBe(2);
    await expectMirrored(channel.id, channel.channelId);
    expect(await syncState(core, channel.id)).toMatchObject({ last_entry_id: 22, backfill_until: null });
  });

  test('when many polls run at once in a worker, then they share commit transactions and every channel is mirrored exactly', async () => {
    const nodes = await Promise.all(Array.from({ length: 30 }, () => createNode(core)));
    for (const { channel } of nodes) {
      sim.createChannel({ id: channel.channelId });
      sim.appendGenerated(channel.channelId, 5, { start: new Date(Date.now() - 600_000), stepMs: 60_000 });
    }
    const commits = createPollCommitRepository(core.db);
    let transactions = 0;
    const counted = { ...commits, lockSyncRows: (...args: Parameters<typeof commits.lockSyncRows>) => ((transactions += 1), commits.lockSyncRows(...args)) };
    const batchDeps: PollBatchDeps = { db: core.db, repo: core.repos.poll, commits: counted, nodeStatus: core.repos.nodeStatus, producers: core.producers };
    const batched: PollDeps = { ...deps, batches: createPollBatches(batchDeps, { maxItems: 50, maxInFlight: 1, maxImports: 2 }) };

    const results = await Promise.all(nodes.map(({ channel }) => pollChannel(batched, channel.id, log)));

    expect(results.every((r) => r.outcome === 'polled' && r.inserted === 5)).toBe(true);
    expect(transactions).toBeLessThan(nodes.length / 3);
    for (const { channel } of nodes) {
      await expectMirrored(channel.id, channel.channelId);
      expect(await syncState(core, channel.id)).toMatchObject({ last_entry_id: 5, stored_count: '5' });
    }
    const states = await core.db('node_state').whereIn('node_id', nodes.map((n) => n.node.id)).select('node_id', 'last_reading_at');
    expect(states.filter((s: { last_reading_at: Date | null }) => s.last_reading_at !== null)).toHaveLength(nodes.length);
  });

  test('when one poll of a shared batch cannot be stored, then only that poll fails and the others commit', async () => {
    const [good, bad] = [await createNode(core), await createNode(core)];
    for (const { channel } of [good, bad]) {
      sim.createChannel({ id: channel.channelId });
      sim.appendGenerated(channel.channelId, 3, { start: new Date(Date.now() - 300_000), stepMs: 60_000 });
    }
    const commits = createPollCommitRepository(core.db);
    // A row Postgres refuses (entry id beyond int4), as a corrupt answer would produce.
    const poisoning = {
      ...commits,
      insertReadings: (tx: Parameters<typeof commits.insertReadings>[0], rows: Parameters<typeof commits.insertReadings>[1]) =>
        commits.insertReadings(tx, rows.map((r) => (r.nodeChannelId === bad.channel.id ? { ...r, entryId: 2 ** 40 } : r))),
    };
    const batched: PollDeps = {
      ...deps,
      batches: createPollBatches({ db: core.db, repo: core.repos.poll, commits: poisoning, nodeStatus: core.repos.nodeStatus, producers: core.producers }, { maxItems: 50, maxInFlight: 1, maxImports: 2 }),
    };

    const [goodResult, badResult] = await Promise.allSettled([pollChannel(batched, good.channel.id, log), pollChannel(batched, bad.channel.id, log)]);

    expect(goodResult).toMatchObject({ status: 'fulfilled', value: { inserted: 3 } });
    expect(badResult.status).toBe('rejected');
    expect(await storedEntries(core, good.channel.id)).toHaveLength(3);
    expect(await storedEntries(core, bad.channel.id)).toHaveLength(0);
    expect(await syncState(core, bad.channel.id)).toMatchObject({ last_entry_id: 0 });
  });

  test('when a first import is larger than a page, then it is committed page by page, back-dated entries included', async () => {
    const { channel } = await createNode(core);
    const now = Date.now();
    sim.createChannel({ id: channel.channelId, createdAt: new Date(now - 86400_000) });
    sim.appendGenerated(channel.channelId, 1_000, { start: new Date(now - 50_000_000), stepMs: 40_000 });
    // High ids dated far back: they land in the first pages, before most lower ids.
    sim.appendEntries(channel.channelId, [
      { createdAt: new Date(now - 400 * 86400_000), fields: { field2: '40' } },
      { createdAt: new Date(now - 399 * 86400_000), fields: { field2: '41' } },
    ]);
    const commits: Array<{ readings: number; backfillUntil: Date | null }> = [];
    const batchDeps: PollBatchDeps = { db: core.db, repo: core.repos.poll, commits: createPollCommitRepository(core.db), nodeStatus: core.repos.nodeStatus, producers: core.producers };
    const batches = createPollBatches(batchDeps, { maxItems: 50, maxInFlight: 1, maxImports: 2 });
    const watching: PollDeps = {
      ...deps,
      maxResults: 100,
      batches: {
        ...batches,
        commit: (input) => (commits.push({ readings: input.readings.length, backfillUntil: input.backfillUntil }), batches.commit(input)),
        commitImportPage: (input, previous) => (commits.push({ readings: input.readings.length, backfillUntil: input.backfillUntil }), batches.commitImportPage(input, previous)),
      },
    };

    const result = await pollChannel(watching, channel.id, log);

    expect(result).toMatchObject({ outcome: 'polled', inserted: 1_002, missingEntries: 0 });
    expect(commits.length).toBeGreaterThan(10);
    expect(Math.max(...commits.map((c) => c.readings))).toBeLessThan(100);
    expect(commits.slice(0, -1).every((c) => c.backfillUntil !== null)).toBe(true);
    expect(commits.at(-1)!.backfillUntil).toBeNull();
    await expectMirrored(channel.id, channel.channelId);
    expect(await syncState(core, channel.id)).toMatchObject({ last_entry_id: 1_002, stored_count: '1002', backfill_until: null });
  });

  test('when an import stops after some pages, then the next poll resumes at its progress and stores every entry once', async () => {
    const [{ channel }, twin] = [await createNode(core), await createNode(core)];
    const now = Date.now();
    for (const id of [channel.channelId, twin.channel.channelId]) {
      sim.createChannel({ id, createdAt: new Date(now - 86400_000) });
      sim.appendGenerated(id, 600, { start: new Date(now - 36_000_000), stepMs: 60_000 });
    }
    // The same history imported without interruption: what a restart from scratch would cost.
    await pollChannel({ ...deps, maxResults: 100 }, twin.channel.id, log);
    const fullImportRequests = requestsFor(twin.channel.channelId);
    const batchDeps: PollBatchDeps = { db: core.db, repo: core.repos.poll, commits: createPollCommitRepository(core.db), nodeStatus: core.repos.nodeStatus, producers: core.producers };
    const batches = createPollBatches(batchDeps, { maxItems: 50, maxInFlight: 1, maxImports: 2 });
    let commitsLeft = 3;
    const crashing: PollDeps = {
      ...deps,
      maxResults: 100,
      batches: {
        ...batches,
        commit: (input) => (commitsLeft-- > 0 ? batches.commit(input) : Promise.reject(new Error('worker killed'))),
        commitImportPage: (input, previous) => (commitsLeft-- > 0 ? batches.commitImportPage(input, previous) : Promise.reject(new Error('worker killed'))),
      },
    };

    await expect(pollChannel(crashing, channel.id, log)).rejects.toThrow('worker killed');
    const interrupted = await syncState(core, channel.id);
    const storedBefore = (await storedEntries(core, channel.id)).length;
    expect(interrupted.backfill_until).not.toBeNull();
    expect(storedBefore).toBeGreaterThan(0);
    expect(storedBefore).toBeLessThan(600);

    // Written while the import was interrupted: newer than its first page, so the resumed import
    // (which reads the older entries it had left) does not see them; the next ordinary poll must.
    // And one back-dated a year with the highest id: the resumed import does see that one, and
    // must not let its id carry the cursor past 601-605, which nobody has read yet.
    sim.appendGenerated(channel.channelId, 5, { start: new Date(Date.now() - 1_000), stepMs: 100 });
    sim.appendEntries(channel.channelId, [{ createdAt: new Date(now - 365 * 86_400_000), fields: { field2: '77' } }]);
    const requestsBefore = requestsFor(channel.channelId);
    const resumed = await pollChannel({ ...deps, maxResults: 100 }, channel.id, log);
    const requestsOfResume = requestsFor(channel.channelId) - requestsBefore;
    const afterResume = await syncState(core, channel.id);
    const next = await pollChannel({ ...deps, maxResults: 100 }, channel.id, log);

    expect(resumed).toMatchObject({ outcome: 'polled', inserted: 600 - storedBefore + 1 });
    expect(afterResume).toMatchObject({ last_entry_id: 600, backfill_until: null });
    expect(next).toMatchObject({ outcome: 'polled', inserted: 5 });
    await expectMirrored(channel.id, channel.channelId);
    expect(await syncState(core, channel.id)).toMatchObject({ last_entry_id: 606, backfill_until: null });
    // It went on from the last committed page rather than reading the whole history again.
    expect(requestsOfResume).toBeLessThan(fullImportRequests);
  });
  test('when rows of an import page were stored already, then that page is inserted again skipping them and every entry is stored once', async () => {
    const { channel } = await createNode(core);
    const now = Date.now();
    sim.createChannel({ id: channel.channelId, createdAt: new Date(now - 86400_000) });
    sim.appendGenerated(channel.channelId, 600, { start: new Date(now - 36_000_000), stepMs: 60_000 });
    const commits = createPollCommitRepository(core.db);
    const modes: string[] = [];
    let planting: Promise<number> | undefined;
    // Before the first page that takes the cheap insert, two of its rows are stored by someone else
    // (once: the next page's insert runs at the same time).
    const plantingCommits = {
      ...commits,
      insertReadings: async (...args: Parameters<typeof commits.insertReadings>) => {
        const [, rows, mode] = args;
        modes.push(mode ?? 'skip-stored');
        if (mode === 'all-new' && !planting) {
          planting = insertReadings(core.db, rows.slice(0, 2)).then((stored) => stored.length);
          await planting;
        }
        return commits.insertReadings(...args);
      },
    };
    const batches = createPollBatches({ db: core.db, repo: core.repos.poll, commits: plantingCommits, nodeStatus: core.repos.nodeStatus, producers: core.producers }, { maxItems: 50, maxInFlight: 1, maxImports: 2 });

    const result = await pollChannel({ ...deps, maxResults: 100, batches }, channel.id, log);

    expect(await planting).toBe(2);
    expect(result).toMatchObject({ outcome: 'polled', inserted: 598 });
    // Only the page that met stored rows was redone skipping them; the pages after it went back to the cheap insert.
    expect(modes.filter((m) => m === 'skip-stored')).toHaveLength(1);
    expect(modes.lastIndexOf('all-new')).toBeGreaterThan(modes.indexOf('skip-stored'));
    await expectMirrored(channel.id, channel.channelId);
    expect(await syncState(core, channel.id)).toMatchObject({ last_entry_id: 600, backfill_until: null });
  });

  test('when a page fails to commit after the next page inserted its rows ahead, then those rows roll back and the resumed import stores every entry once', async () => {
    const { channel } = await createNode(core);
    const now = Date.now();
    sim.createChannel({ id: channel.channelId, createdAt: new Date(now - 86400_000) });
    sim.appendGenerated(channel.channelId, 600, { start: new Date(now - 36_000_000), stepMs: 60_000 });
    const commits = createPollCommitRepository(core.db);
    const inserts: number[] = [];
    let syncWrites = 0;
    let nextPageInserted!: () => void;
    const afterNextPageInserted = new Promise<void>((resolve) => (nextPageInserted = resolve));
    // The fourth page's transaction fails at its cursor write, but only once the fifth page's rows
    // are in (inserted ahead, in that page's own open transaction).
    const failing = {
      ...commits,
      insertReadings: async (...args: Parameters<typeof commits.insertReadings>) => {
        const stored = await commits.insertReadings(...args);
        inserts.push(args[1].length);
        if (inserts.length === 5) nextPageInserted();
        return stored;
      },
      updateSyncRows: async (...args: Parameters<typeof commits.updateSyncRows>) => {
        syncWrites += 1;
        if (syncWrites === 4) {
          await afterNextPageInserted;
          throw new Error('connection lost mid-commit');
        }
        return commits.updateSyncRows(...args);
      },
    };
    const batches = createPollBatches({ db: core.db, repo: core.repos.poll, commits: failing, nodeStatus: core.repos.nodeStatus, producers: core.producers }, { maxItems: 50, maxInFlight: 1, maxImports: 2 });

    await expect(pollChannel({ ...deps, maxResults: 100, batches }, channel.id, log)).rejects.toThrow('connection lost mid-commit');

    // Exactly the three pages that committed are stored: the fourth and the fifth (inserted ahead) rolled back.
    expect(inserts.length).toBeGreaterThanOrEqual(5);
    expect(await storedEntries(core, channel.id)).toHaveLength(inserts[0]! + inserts[1]! + inserts[2]!);
    expect((await syncState(core, channel.id)).backfill_until).not.toBeNull();

    const resumed = await pollChannel({ ...deps, maxResults: 100 }, channel.id, log);
    expect(resumed).toMatchObject({ outcome: 'polled', inserted: 600 - inserts[0]! - inserts[1]! - inserts[2]! });
    await expectMirrored(channel.id, channel.channelId);
    expect(await syncState(core, channel.id)).toMatchObject({ last_entry_id: 600, stored_count: '600', backfill_until: null });
  });
});
