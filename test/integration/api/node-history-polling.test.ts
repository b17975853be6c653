import type { Logger } from '../../../src/shared/logger';
import { pollChannel, type PollDeps } from '../../../src/shared/polling/poll-channel';
import { apiClient, issueKey, type ApiClient } from '../../helpers/http';
import { openPollRig, type Simulator } from '../../helpers/poll-rig';
import { createNode } from '../../helpers/factories';
import { storedEntries, syncState } from '../../helpers/readings';
import type { TestCore } from '../../helpers/test-core';

/**
 * The poller after history was detached or purged through the API, against a simulated ThingSpeak:
 * it neither re-imports what was purged nor fails, and a channel attached again catches up.
 */
describe('API + poller: detached and purged history', () => {
  let rig: Awaited<ReturnType<typeof openPollRig>>;
  let core: TestCore;
  let sim: Simulator;
  let deps: PollDeps;
  let log: Logger;
  let api: ApiClient;

  beforeAll(async () => {
    rig = await openPollRig();
    ({ sim, core, deps } = rig);
    log = core.log;
    api = apiClient(core, await issueKey(core, { role: 'superadmin' }, 'poll history admin'));
  });

  afterAll(async () => {
    await rig.close();
  });

  const entryIds = async (nodeChannelId: string) => (await storedEntries(core, nodeChannelId)).map((e) => e.entryId);

  test('when all readings are purged, then the next polls store only entries written since: purged ones are not fetched again and nothing fails', async () => {
    const { node, channel } = await createNode(core);
    sim.createChannel({ id: channel.channelId });
    sim.appendGenerated(channel.channelId, 40, { start: new Date(Date.now() - 120_000), stepMs: 1_000 });
    expect(await pollChannel(deps, channel.id, log)).toMatchObject({ outcome: 'polled', inserted: 40 });

    const purged = await api.post(`/api/v1/nodes/${node.id}/purge-readings`, { confirm: node.nodeKey }).expect(200);
    sim.appendGenerated(channel.channelId, 5, { start: new Date(Date.now() - 5_000), stepMs: 1_000 });
    // The overlap window of this poll holds the purged entries again: the cursor keeps them out.
    const next = await pollChannel(deps, channel.id, log);
    const idle = await pollChannel(deps, channel.id, log);

    expect(purged.body.data.removed).toBe(40);
    expect(next).toMatchObject({ outcome: 'polled', inserted: 5, cleared: false, epoch: 0, missingEntries: 0 });
    expect(idle).toMatchObject({ outcome: 'polled', inserted: 0, cleared: false });
    expect(await entryIds(channel.id)).toEqual([41, 42, 43, 44, 45]);
    expect(await syncState(core, channel.id)).toMatchObject({ epoch: 0, last_entry_id: 45, stored_count: '5', last_error: null, consecutive_failures: 0 });
  });

  test('when a channel is detached, then a poll skips it; attached again, it keeps its history and catches up on what was written meanwhile', async () => {
    const { node, channel } = await createNode(core);
    sim.createChannel({ id: channel.channelId });
    sim.appendGenerated(channel.channelId, 10, { start: new Date(Date.now() - 60_000), stepMs: 1_000 });
    await pollChannel(deps, channel.id, log);

    await api.del(`/api/v1/nodes/${node.id}/channels/${channel.channelId}`).expect(200);
    sim.appendGenerated(channel.channelId, 3, { start: new Date(Date.now() - 3_000), stepMs: 1_000 });
    const skipped = await pollChannel(deps, channel.id, log);
    await api.patch(`/api/v1/nodes/${node.id}`, { channels: [{ channelId: channel.channelId }] }).expect(200);
    const caughtUp = await pollChannel(deps, channel.id, log);

    expect(skipped).toEqual({ outcome: 'skipped', reason: 'inactive' });
    expect(caughtUp).toMatchObject({ outcome: 'polled', inserted: 3, cleared: false });
    expect(await entryIds(channel.id)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
  });
});
