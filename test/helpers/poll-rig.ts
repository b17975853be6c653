import type { PollDeps } from '../../src/shared/polling/poll-channel';
import { createThingSpeakSimulator } from '../../src/simulator/thingspeak-simulator';
import { createThingSpeakClient } from '../../src/shared/thingspeak/thingspeak.client';
import { createTestCore, type TestCore } from './test-core';

export type Simulator = ReturnType<typeof createThingSpeakSimulator>;

/** A simulator, a test core pointed at it, and the dependencies pollChannel takes, unbatched. */
export async function openPollRig(): Promise<{ sim: Simulator; core: TestCore; deps: PollDeps; close(): Promise<void> }> {
  const sim = createThingSpeakSimulator();
  const { url } = await sim.listen(0);
  const core = createTestCore({ THINGSPEAK_BASE_URL: url, THINGSPEAK_TIMEOUT_MS: '2000' });
  const deps: PollDeps = {
    db: core.db,
    repo: core.repos.poll,
    nodeStatus: core.repos.nodeStatus,
    client: createThingSpeakClient({ baseUrl: url, timeoutMs: 2_000 }),
    producers: core.producers,
    encryptionKey: core.config.encryptionKey,
    overlapMs: 300_000,
  };
  return {
    sim,
    core,
    deps,
    async close() {
      await core.close();
      await sim.close();
    },
  };
}
