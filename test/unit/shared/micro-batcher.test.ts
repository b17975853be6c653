import { createMicroBatcher } from '../../../src/shared/batching/micro-batcher';

describe('micro-batcher', () => {
  test('when items arrive while a flush runs, then they go together in the next flush', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const firstFlushHeld = new Promise<void>((r) => (release = r));
    const batcher = createMicroBatcher<number, number>({
      maxItems: 100,
      maxInFlight: 1,
      run: async (items) => {
        batches.push(items);
        if (batches.length === 1) await firstFlushHeld;
        return items.map((i) => ({ status: 'fulfilled' as const, value: i * 2 }));
      },
    });

    const first = batcher.submit(1);
    await Promise.resolve();
    const later = [2, 3, 4, 5].map((i) => batcher.submit(i));
    release();

    expect(await Promise.all([first, ...later])).toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([[1], [2, 3, 4, 5]]);
  });

  test('when a batch is larger than maxItems, then it is split', async () => {
    const sizes: number[] = [];
    const batcher = createMicroBatcher<number, number>({ maxItems: 3, maxInFlight: 2, run: async (items) => (sizes.push(items.length), items.map((value) => ({ status: 'fulfilled' as const, value }))) });
    await Promise.all(Array.from({ length: 7 }, (_, i) => batcher.submit(i)));
    expect(sizes).toEqual([3, 3, 1]);
  });

  test('when one item fails, then only its caller sees the error; when the run throws, every caller does', async () => {
    const perItem = createMicroBatcher<number, number>({
      maxItems: 10,
      maxInFlight: 1,
      run: async (items) => items.map((i) => (i === 2 ? { status: 'rejected' as const, reason: new Error('bad 2') } : { status: 'fulfilled' as const, value: i })),
    });
    const results = await Promise.allSettled([1, 2, 3].map((i) => perItem.submit(i)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);

    const broken = createMicroBatcher<number, number>({ maxItems: 10, maxInFlight: 1, run: async () => Promise.reject(new Error('database gone')) });
    const all = await Promise.allSettled([1, 2].map((i) => broken.submit(i)));
    expect(all.every((r) => r.status === 'rejected' && (r.reason as Error).message === 'database gone')).toBe(true);
  });
});
