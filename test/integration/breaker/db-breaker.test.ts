import { randomUUID } from 'node:crypto';
import IORedis, { type Redis } from 'ioredis';
import { createDbBreaker, type DbBreaker } from '../../../src/shared/breaker/db-breaker';
import { itRedisUrl } from '../../setup/test-env';
import { waitFor } from '../../helpers/wait-for';

/** The breaker's state machine against the real Redis, with two instances standing for two processes. */
describe('db breaker (state in Redis)', () => {
  let redisA: Redis;
  let redisB: Redis;
  let clock: number;
  let prefix: string;
  let a: DbBreaker;
  let b: DbBreaker;

  beforeAll(() => {
    redisA = new IORedis(itRedisUrl());
    redisB = new IORedis(itRedisUrl());
  });

  beforeEach(() => {
    clock = 1_000_000;
    prefix = `test-breaker-${randomUUID().slice(0, 8)}`;
    const opts = { prefix, failureThreshold: 5, probeBaseMs: 60_000, probeMaxMs: 300_000, now: () => clock };
    a = createDbBreaker(redisA, opts);
    b = createDbBreaker(redisB, opts);
  });

  afterAll(async () => {
    const keys = await redisA.keys('test-breaker-*');
    if (keys.length > 0) await redisA.del(...keys);
    redisA.disconnect();
    redisB.disconnect();
  });

  test('when failures from two processes add up to the threshold, then it opens exactly once, on the fifth', async () => {
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await (i % 2 === 0 ? a : b).recordFailure('ECONNREFUSED'));
    expect(results.every((r) => r.state === 'closed')).toBe(true);
    expect((await a.snapshot()).failures).toBe(4);

    const concurrent = await Promise.all([a.recordFailure('ECONNREFUSED'), b.recordFailure('ECONNREFUSED'), a.recordFailure('ECONNREFUSED')]);

    expect(concurrent.filter((r) => r.opened)).toHaveLength(1);
    expect(await b.snapshot()).toMatchObject({ state: 'open', openedAt: 1_000_000, nextProbeAt: 1_060_000, reason: 'ECONNREFUSED' });
    expect((await a.transitions()).map((t) => `${t.from}->${t.to}`)).toEqual(['closed->open']);
  });

  test('when a success comes while closed, then the count resets; while open, it changes nothing', async () => {
    for (let i = 0; i < 4; i++) await a.recordFailure('x');
    await b.recordSuccess();
    expect((await a.snapshot()).failures).toBe(0);

    for (let i = 0; i < 5; i++) await a.recordFailure('x');
    expect(await b.recordSuccess()).toBe('open');
    expect((await a.snapshot()).state).toBe('open');
  });

  test('when open, then only one process may probe, only once the backoff has passed', async () => {
    for (let i = 0; i < 5; i++) await a.recordFailure('x');
    expect(await a.acquireProbe('ta', 10_000)).toBe(false); // not due yet
    clock += 60_000;

    const [gotA, gotB] = await Promise.all([a.acquireProbe('ta', 10_000), b.acquireProbe('tb', 10_000)]);

    expect([gotA, gotB].filter(Boolean)).toHaveLength(1);
  });

  test('when probes fail, then the next probe waits twice as long, up to the maximum; a good probe closes it', async () => {
    for (let i = 0; i < 5; i++) await a.recordFailure('x');
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const s = await a.snapshot();
      clock = s.nextProbeAt!;
      expect(await a.acquireProbe('t', 10_000)).toBe(true);
      expect(await a.probeResult('t', false, 'still refused')).toBe('still-open');
      delays.push((await a.snapshot()).nextProbeAt! - clock);
    }
    expect(delays).toEqual([120_000, 240_000, 300_000, 300_000]);

    clock = (await a.snapshot()).nextProbeAt!;
    expect(await b.acquireProbe('tb', 10_000)).toBe(true);
    expect(await b.probeResult('tb', true, 'select 1 ok')).toBe('closed');
    expect(await a.snapshot()).toMatchObject({ state: 'closed', failures: 0, openedAt: null });
    expect((await a.transitions()).map((t) => `${t.from}->${t.to}`)).toEqual(['open->closed', 'closed->open']);
  });

  test('when the prober dies holding the lock, then after the lock expires another process probes', async () => {
    for (let i = 0; i < 5; i++) await a.recordFailure('x');
    clock += 60_000;
    expect(await a.acquireProbe('dead-prober', 200)).toBe(true);
    expect(await b.acquireProbe('tb', 200)).toBe(false);

    await waitFor(async () => (await redisA.exists(a.keys.probeLock)) === 0, { what: 'probe lock expired in Redis' });

    expect(await b.acquireProbe('tb', 10_000)).toBe(true);
    expect(await a.probeResult('dead-prober', true, 'late')).toBe('lost-lock');
    expect((await a.snapshot()).state).toBe('open');
    expect(await b.probeResult('tb', true, 'ok')).toBe('closed');
  });

  test('when a process starting without a database forces it open, then it opens once with a probe scheduled', async () => {
    expect(await a.forceOpen('database unreachable at worker start')).toBe(true);
    expect(await b.forceOpen('second process')).toBe(false);
    expect(await a.snapshot()).toMatchObject({ state: 'open', nextProbeAt: 1_060_000, reason: 'database unreachable at worker start' });
  });

  test('when the breaker opens, then the transition is published for other processes', async () => {
    const sub = new IORedis(itRedisUrl());
    try {
      const got = new Promise<string>((resolve) => sub.on('message', (_ch, msg) => resolve(msg)));
      await sub.subscribe(`${prefix}:events`);
      for (let i = 0; i < 5; i++) await a.recordFailure('57P01');
      expect(JSON.parse(await got)).toMatchObject({ type: 'breaker', transition: { from: 'closed', to: 'open', reason: '57P01' } });
    } finally {
      sub.disconnect();
    }
  });
});
