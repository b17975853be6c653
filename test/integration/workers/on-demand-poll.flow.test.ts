import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers';
import { createThingSpeakSimulator } from '../../../src/simulator/thingspeak-simulator';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { createNode } from '../../helpers/factories';
import { storedEntries } from '../../helpers/readings';
import { waitFor } from '../../helpers/wait-for';

/** With an hourly tick, the tick's polls sit delayed for up to an hour by the spreading. */
describe('on-demand poll against a delayed tick poll', () => {
  const sim = createThingSpeakSimulator();
  let core: TestCore;
  let workers: RunningWorkers | undefined;

  afterAll(async () => {
    await workers?.close();
    await core.close();
    await sim.close();
  });

  test("when an on-demand poll meets a tick's poll still delayed, then it runs now", async () => {
    const { url } = await sim.listen(0);
    core = createTestCore({ THINGSPEAK_BASE_URL: url, POLL_INTERVAL_MS: '3600000' });
    const nodes = await Promise.all(Array.from({ length: 4 }, () => createNode(core)));
    for (const { channel } of nodes) {
      sim.createChannel({ id: channel.channelId });
      sim.appendGenerated(channel.channelId, 2, { start: new Date(Date.now() - 60_000), stepMs: 10_000 });
    }
    const last = nodes[3]!.channel; // the tick spreads it furthest: about 40 minutes out
    workers = await startWorkers(core); // the scheduler's first tick fans out at once
    await waitFor(async () => (await core.queues.poll.getJobs(['delayed'])).some((j) => j.data.nodeChannelId === last.id), { what: "the tick's delayed poll" });

    await core.producers.enqueuePoll({ nodeChannelId: last.id, reason: 'on-demand' });

    await waitFor(async () => (await storedEntries(core, last.id)).length === 2, { what: 'polled without waiting for the tick' });
  });
});
