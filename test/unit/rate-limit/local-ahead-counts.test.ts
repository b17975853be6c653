import { countLocallyAhead, LOCAL_COUNTING_MIN_QUOTA, type SharedCounts, type Standing } from '../../../src/api/rate-limit/local-ahead-counts';

/** The shared store as a plain fixed-window counter (the rule under test is the local one), counting its calls. */
function sharedStore(windowMs = 60_000, clock = () => 0) {
  const counts = new Map<string, { consumed: number; endsAt: number }>();
  const calls = { add: 0, read: 0 };
  let failing = false;
  const live = (id: string) => {
    const c = counts.get(id);
    return c && clock() < c.endsAt ? c : undefined;
  };
  const store: SharedCounts = {
    async add(id, points): Promise<Standing> {
      calls.add += 1;
      if (failing) throw new Error('redis down');
      const c = live(id) ?? { consumed: 0, endsAt: clock() + windowMs };
      c.consumed += points;
      counts.set(id, c);
      return { consumed: c.consumed, msBeforeNext: c.endsAt - clock() };
    },
    async read(id) {
      calls.read += 1;
      if (failing) throw new Error('redis down');
      const c = live(id);
      return c ? { consumed: c.consumed, msBeforeNext: c.endsAt - clock() } : null;
    },
  };
  return { store, calls, total: (id: string) => live(id)?.consumed ?? 0, fail: (on: boolean) => (failing = on) };
}

describe('counting locally ahead of the shared store', () => {
  test('far from the quota, requests are answered here and reach the store in one call per sync', async () => {
    const shared = sharedStore();
    const counts = countLocallyAhead(shared.store, { quota: 1_000, syncMs: 60_000, onSyncError: () => undefined });
    const answers = [];
    for (let i = 0; i < 50; i += 1) answers.push(await counts.consume('k'));
    expect(answers.map((a) => a.consumed)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(shared.calls.add).toBe(1); // the first request: nothing was known of this id
    expect(shared.total('k')).toBe(1);
    await counts.flush();
    expect(shared.calls.add).toBe(2);
    expect(shared.total('k')).toBe(50);
  });

  test('from 80 % of the quota every request is counted in the store first, so the refusal comes exactly after the quota', async () => {
    const shared = sharedStore();
    const quota = 200;
    const counts = countLocallyAhead(shared.store, { quota, syncMs: 60_000, onSyncError: () => undefined });
    let passed = 0;
    for (let i = 0; i < 250; i += 1) if ((await counts.consume('k')).consumed <= quota) passed += 1;
    expect(passed).toBe(quota);
    expect(shared.total('k')).toBe(250);
    // 1 first call, then one per request from 160 on: 250 - 159 = 91 more.
    expect(shared.calls.add).toBe(1 + 91);
  });

  test('two processes: what one answered locally reaches the other through the store after a sync', async () => {
    const shared = sharedStore();
    const a = countLocallyAhead(shared.store, { quota: 1_000, syncMs: 60_000, onSyncError: () => undefined });
    const b = countLocallyAhead(shared.store, { quota: 1_000, syncMs: 60_000, onSyncError: () => undefined });
    for (let i = 0; i < 30; i += 1) await a.consume('k');
    await b.consume('k');
    expect((await b.peek('k'))!.consumed).toBe(2); // a's 29 local counts are not in the store yet
    await a.flush();
    expect((await b.peek('k'))!.consumed).toBe(31);
  });

  test(`a quota under ${LOCAL_COUNTING_MIN_QUOTA} is counted in the store on every request`, async () => {
    const shared = sharedStore();
    const counts = countLocallyAhead(shared.store, { quota: LOCAL_COUNTING_MIN_QUOTA - 1, syncMs: 60_000, onSyncError: () => undefined });
    for (let i = 0; i < 10; i += 1) await counts.consume('k');
    expect(shared.calls.add).toBe(10);
    expect(shared.total('k')).toBe(10);
  });

  test('peek reads the store every time and adds what waits here', async () => {
    const shared = sharedStore();
    const counts = countLocallyAhead(shared.store, { quota: 1_000, syncMs: 60_000, onSyncError: () => undefined });
    expect(await counts.peek('k')).toBeNull();
    for (let i = 0; i < 5; i += 1) await counts.consume('k');
    expect((await counts.peek('k'))!.consumed).toBe(5);
    expect(shared.calls.read).toBe(2);
  });

  test('a failed sync keeps its counts for the next one and says so', async () => {
    const shared = sharedStore();
    const errors: unknown[] = [];
    const counts = countLocallyAhead(shared.store, { quota: 1_000, syncMs: 60_000, onSyncError: (e) => errors.push(e) });
    for (let i = 0; i < 10; i += 1) await counts.consume('k');
    shared.fail(true);
    await counts.flush();
    expect(errors).toHaveLength(1);
    shared.fail(false);
    await counts.flush();
    expect(shared.total('k')).toBe(10);
  });

  test("a request that cannot reach the store fails to its caller, and the counts waiting here are not lost", async () => {
    const shared = sharedStore();
    const counts = countLocallyAhead(shared.store, { quota: 200, syncMs: 60_000, onSyncError: () => undefined });
    for (let i = 0; i < 159; i += 1) await counts.consume('k');
    shared.fail(true);
    await expect(counts.consume('k')).rejects.toThrow('redis down');
    shared.fail(false);
    await counts.flush();
    expect(shared.total('k')).toBe(159);
  });

  test('a new window starts from the store again; the old window\'s unsent counts are dropped', async () => {
    let t = 0;
    const shared = sharedStore(60_000, () => t);
    const counts = countLocallyAhead(shared.store, { quota: 1_000, syncMs: 60_000, onSyncError: () => undefined, now: () => t });
    for (let i = 0; i < 20; i += 1) await counts.consume('k');
    t = 60_001;
    const first = await counts.consume('k');
    expect(first.consumed).toBe(1);
    await counts.flush();
    expect(shared.total('k')).toBe(1);
  });

  test('syncs on its own after syncMs', async () => {
    const shared = sharedStore();
    const counts = countLocallyAhead(shared.store, { quota: 1_000, syncMs: 20, onSyncError: () => undefined });
    for (let i = 0; i < 10; i += 1) await counts.consume('k');
    const deadline = Date.now() + 5_000;
    while (shared.total('k') !== 10 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    expect(shared.total('k')).toBe(10);
  });
});
