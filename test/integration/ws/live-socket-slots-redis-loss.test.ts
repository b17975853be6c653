import { createLiveSocketSlots } from '../../../src/api/ws/live-socket-slots';
import { waitForRedis } from '../../../src/shared/redis';
import { createTestCore, type TestCore } from '../../helpers/test-core';

/** The per-key socket cap's counts live in Redis; a Redis that restarts empty forgets them. */
describe('live socket slots after Redis lost its data', () => {
  let core: TestCore;
  afterAll(async () => core?.close());

  test('when the slots of open sockets are lost, then the next renewal counts them again and the cap holds', async () => {
    core = createTestCore({}, 'api');
    await waitForRedis(core.redis, 5_000); // the API's connection fails fast until it is ready
    const slots = createLiveSocketSlots(core.redis, core.prefix, 2);
    const held = [await slots.acquire('key-1'), await slots.acquire('key-1')].map((o) => {
      if (!o.taken) throw new Error('slot refused');
      return { keyId: 'key-1', slot: o.slot };
    });
    expect(await slots.acquire('key-1')).toEqual({ taken: false, open: 2 });

    await core.redis.del(`${core.prefix}:live-sockets:key-1`); // what an empty restart leaves
    await slots.renew(held);

    expect(await slots.acquire('key-1')).toEqual({ taken: false, open: 2 });
    await slots.release('key-1', held[0]!.slot);
    expect(await slots.acquire('key-1')).toMatchObject({ taken: true });
  });
});
