import type { Logger } from '../../../src/shared/logger';
import { pollChannel, type PollDeps } from '../../../src/shared/polling/poll-channel';
import { ThingSpeakError } from '../../../src/shared/thingspeak/thingspeak-error';
import type { TestCore } from '../../helpers/test-core';
import { openPollRig, type Simulator } from '../../helpers/poll-rig';
import { createNode } from '../../helpers/factories';
import { storedEntries, syncState } from '../../helpers/readings';

describe('poll-channel: mirroring a ThingSpeak channel', () => {
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

  /** Asserts the stored readings of the current epoch are exactly the simulator's entries. */
  async function expectMirrored(nodeChannelId: string, channelId: number, epoch = 0) {
    const stored = await storedEntries(core, nodeChannelId, epoch);
    const expected = sim.entries(channelId).map((e) => ({ entryId: e.entryId, recordedAt: e.createdAt.getTime() }));
    expect(stored.map((s) => ({ entryId: s.entryId, recordedAt: s.recordedAt }))).toEqual([...expected].sort((a, b) => a.entryId - b.entryId));
    expect(new Set(stored.map((s) => s.entryId)).size).toBe(stored.length);
  }

  test('when a channel has entries, then every entry is stored once and the cursor is the last entry id', async () => {
    const { channel } = await createNode(core);
    sim.createChannel({ id: channel.channelId });
    sim.appendGenerated(channel.channelId, 250, { start: new Date(Date.now() - 3600_000), stepMs: 10_000 });

    const first = await pollChannel(deps, channel.id, log);
    sim.appendGenerated(channel.channelId, 30, { start: new Date(Date.now() - 60_000), stepMs: 1_000 });
    const second = await pollChannel(deps, channel.id, log);

    expect(first).toMatchObject({ outcome: 'polled', inserted: 250 });
    expect(second).toMatchObject({ outcome: 'polled', inserted: 30 });
    await expectMirrored(channel.id, channel.channelId);
    expect(await syncState(core, channel.id)).toMatchObject({ last_entry_id: 280, remote_last_entry_id: 280, stored_count: '280', last_error: null });
  });

  test('when the same poll runs twice or concurrently, then nothing is stored twice', async () => {
    const { channel } = await createNode(core);
    sim.createChannel({ id: channel.channelId });
    sim.appendGenerated(channel.channelId, 120, { start: new Date(Date.now() - 3600_000), stepMs: 20_000 });

    const results = await Promise.all([pollChannel(deps, channel.id, log), pollChannel(deps, channel.id, log), pollChannel(deps, channel.id, log)]);
    const again = await pollChannel(deps, channel.id, log);

    const inserted = results.map((r) => (r.outcome === 'polled' ? r.inserted : 0));
    expect(inserted.reduce((a, b) => a + b, 0)).toBe(120);
    expect(again).toMatchObject({ inserted: 0 });
    await expectMirrored(channel.id, channel.channelId);
  });

  test('when entry ids are out of time order (back-dated writes), then all are stored, even one older than the window', async () => {
    const { channel } = await createNode(core);
    const now = Date.now();
    sim.createChannel({ id: channel.channelId, createdAt: new Date(now - 10 * 86400_000) });
    sim.appendEntries(channel.channelId, [
      { createdAt: new Date(now - 300_000), fields: { field2: '40' } },
      { createdAt: new Date(now - 100_000), fields: { field2: '41' } },
      { createdAt: new Date(now - 200_000), fields: { field2: '42' } }, // id 3 older than id 2
    ]);
    await pollChannel(deps, channel.id, log);
    // Written after the poll but dated a year back: outside any normal window.
    sim.appendEntries(channel.channelId, [
      { createdAt: new Date(now - 365 * 86400_000), fields: { field2: '43' } },
      { createdAt: new Date(now + 3600_000), fields: { field2: '44' } }, // future-dated
      { fields: { field2: '45' } },
    ]);
    const result = await pollChannel(deps, channel.id, log);

    expect(result).toMatchObject({ inserted: 3, missingEntries: 0 });
    await expectMirrored(channel.id, channel.channelId);
  });

  test('when more than 8000 entries arrived since the last poll, then windows are split and none is lost', async () => {
    const { channel } = await createNode(core);
    sim.createChannel({ id: channel.channelId });
    sim.appendGenerated(channel.channelId, 50, { start: new Date(Date.now() - 20 * 86400_000), stepMs: 60_000 });
    await pollChannel(deps, channel.id, log);
    sim.appendGenerated(channel.channelId, 17_500, { start: new Date(Date.now() - 4 * 86400_000), stepMs: 15_000 });
    sim.resetStats();

    const result = await pollChannel(deps, channel.id, log);

    expect(result).toMatchObject({ inserted: 17_500, missingEntries: 0 });
    expect(sim.stats().requests[channel.channelId]).toBeGreaterThan(3); // head + split windows
    await expectMirrored(channel.id, channel.channelId);
  });

  test('when the channel was cleared on ThingSpeak, then a new epoch mirrors the new entries and old readings are kept', async () => {
    const { channel } = await createNode(core);
    sim.createChannel({ id: channel.channelId });
    sim.appendGenerated(channel.channelId, 40, { start: new Date(Date.now() - 7200_000), stepMs: 60_000 });
    await pollChannel(deps, channel.id, log);
    sim.clearChannel(channel.channelId);
    sim.appendGenerated(channel.channelId, 5, { start: new Date(Date.now() - 60_000), stepMs: 5_000 });

    const result = await pollChannel(deps, channel.id, log);

    expect(result).toMatchObject({ cleared: true, epoch: 1, inserted: 5 });
    await expectMirrored(channel.id, channel.channelId, 1);
    expect(await storedEntries(core, channel.id, 0)).toHaveLength(40);
    expect(await syncState(core, channel.id)).toMatchObject({ epoch: 1, last_entry_id: 5, stored_count: '5' });
  });

  test('when the channel was cleared and refilled past the cursor between polls, then the refill is still detected', async () => {
    const { channel } = await createNode(core);
    sim.createChannel({ id: channel.channelId });
    sim.appendGenerated(channel.channelId, 3, { start: new Date(Date.now() - 120_000), stepMs: 10_000 });
    await pollChannel(deps, channel.id, log);
    sim.clearChannel(channel.channelId);
    sim.appendGenerated(channel.channelId, 6, { start: new Date(Date.now() - 50_000), stepMs: 7_000 });

    const result = await pollChannel(deps, channel.id, log);

    expect(result).toMatchObject({ cleared: true, epoch: 1, inserted: 6 });
    await expectMirrored(channel.id, channel.channelId, 1);
  });

  test('when values are messy, then the raw string is kept with a parsed number or null and a status', async () => {
    const { channel, node } = await createNode(core);
    sim.createChannel({ id: channel.channelId });
    sim.appendEntries(channel.channelId, [
      { createdAt: new Date(Date.now() - 50_000), fields: { field1: 'nan', field2: '30.72\r\n\r\n' } },
      { createdAt: new Date(Date.now() - 40_000), fields: { field1: '  25.81', field2: '12,5' } },
      { createdAt: new Date(Date.now() - 30_000), fields: { field1: 'inf', field2: 'garbage' } },
      { createdAt: new Date(Date.now() - 20_000), fields: { field1: null, field2: '46' } },
    ]);

    await pollChannel(deps, channel.id, log);

    const rows = await storedEntries(core, channel.id);
    expect(rows.map((r) => r.raw)).toEqual([
      { field1: 'nan', field2: '30.72\r\n\r\n' },
      { field1: '  25.81', field2: '12,5' },
      { field1: 'inf', field2: 'garbage' },
      // ThingSpeak's null for a field the entry did not write is stored as absence.
      { field2: '46' },
    ]);
    expect(rows[0]!.parsed).toEqual({ field1: { value: null, status: 'nan' }, field2: { value: 30.72, status: 'ok' } });
    expect(rows[1]!.parsed.field2).toEqual({ value: 12.5, status: 'decimal_comma' });
    expect(rows[2]!.parsed).toEqual({ field1: { value: null, status: 'infinite' }, field2: { value: null, status: 'invalid' } });
    // On disk, "46" is only the number, and the null ThingSpeak sent for field1 costs nothing.
    const stored = await core.db('readings').join('channel_epochs', 'channel_epochs.id', 'readings.channel_epoch_id').where({ node_channel_id: channel.id, entry_id: 4 }).first('f1', 'f2', 'raw');
    expect(stored).toEqual({ f1: null, f2: 46, raw: null });
    // The newest distance (46 cm) in a 163 cm tank: 71.8 % (117/163) of 4,890 L = 3,510 L.
    const view = await core.repos.nodes.get({ role: 'superadmin' }, node.id);
    expect(view?.state).toMatchObject({ levelPct: 71.8, capacityL: 4890, volumeL: 3510 });
    expect(view?.status).toBe('Online');
    expect(view?.state.metrics).toMatchObject({ distance_cm: 46, temperature: null });
  });

  test('when the channel is empty, then the poll succeeds, stores nothing and the node stays provisioning', async () => {
    const { channel, node } = await createNode(core);
    sim.createChannel({ id: channel.channelId });

    const result = await pollChannel(deps, channel.id, log);

    expect(result).toMatchObject({ outcome: 'polled', inserted: 0, remoteLastEntryId: null });
    expect(await storedEntries(core, channel.id)).toHaveLength(0);
    expect((await core.repos.nodes.get({ role: 'superadmin' }, node.id))?.status).toBe('provisioning');
  });

  test('when a private channel is read with its key, then it is mirrored; with a wrong key the error is recorded', async () => {
    const { channel } = await createNode(core, {
      channels: [{ channelId: 987_654_321, readKey: 'PRIVATEKEY123', fieldMapping: { field2: 'distance_cm' }, active: true }],
    });
    sim.createChannel({ id: 987_654_321, readKey: 'PRIVATEKEY123' });
    sim.appendGenerated(987_654_321, 10, { start: new Date(Date.now() - 600_000), stepMs: 30_000 });
    await pollChannel(deps, channel.id, log);
    await expectMirrored(channel.id, 987_654_321);

    sim.setFault(987_654_321, { kind: 'minus1' });
    await expect(pollChannel(deps, channel.id, log)).rejects.toBeInstanceOf(ThingSpeakError);
    sim.setFault(987_654_321, null);

    const state = await syncState(core, channel.id);
    expect(state).toMatchObject({ last_error_code: 'THINGSPEAK_ACCESS_DENIED', consecutive_failures: 1 });
    expect(JSON.stringify(state)).not.toContain('PRIVATEKEY123');
    const row = await core.db('node_channels').where({ id: channel.id }).first('read_key_encrypted');
    expect(row.read_key_encrypted).not.toContain('PRIVATEKEY123');
  });

  test('when new readings arrive, then one alerts job is enqueued for them with a deterministic id', async () => {
    const { channel, node } = await createNode(core);
    sim.createChannel({ id: channel.channelId });
    sim.appendGenerated(channel.channelId, 7, { start: new Date(Date.now() - 600_000), stepMs: 30_000 });

    const result = await pollChannel(deps, channel.id, log);
    await pollChannel(deps, channel.id, log);

    expect(result).toMatchObject({ evaluationEnqueued: true });
    const job = await core.queues.alerts.getJob(`evaluate-${channel.id}-0-7`);
    expect(job?.data).toMatchObject({ nodeId: node.id, fromEntryId: 1, toEntryId: 7, epoch: 0 });
    const waiting = await core.queues.alerts.getJobs(['waiting', 'delayed']);
    expect(waiting.filter((j) => j.data.nodeChannelId === channel.id)).toHaveLength(1);
    expect(await syncState(core, channel.id)).toMatchObject({ eval_from_entry_id: null, eval_to_entry_id: null });
  });

  test('when handing readings to the alerts queue fails, then the range stays in the outbox and the next poll enqueues it', async () => {
    const { channel } = await createNode(core);
    sim.createChannel({ id: channel.channelId });
    sim.appendGenerated(channel.channelId, 6, { start: new Date(Date.now() - 600_000), stepMs: 30_000 });
    const failingOnce = {
      ...deps,
      producers: { ...deps.producers, enqueueEvaluations: async () => Promise.reject(new Error('redis went away')) },
    } as PollDeps;

    await expect(pollChannel(failingOnce, channel.id, log)).rejects.toThrow('redis went away');
    expect(await syncState(core, channel.id)).toMatchObject({ last_entry_id: 6, eval_from_entry_id: 1, eval_to_entry_id: 6 });
    const retried = await pollChannel(deps, channel.id, log);

    expect(retried).toMatchObject({ inserted: 0, evaluationEnqueued: true });
    expect((await core.queues.alerts.getJob(`evaluate-${channel.id}-0-6`))?.data).toMatchObject({ fromEntryId: 1, toEntryId: 6 });
    expect(await syncState(core, channel.id)).toMatchObject({ eval_from_entry_id: null, eval_to_entry_id: null });
  });
});
