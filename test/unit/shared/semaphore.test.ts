import { createSemaphore } from '../../../src/shared/batching/semaphore';

describe('semaphore', () => {
  test('when more works arrive than the limit, then at most the limit run at once and all finish in arrival order', async () => {
    const sem = createSemaphore(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const releases: Array<() => void> = [];
    const works = [0, 1, 2, 3, 4].map((i) =>
      sem.run(async () => {
        started.push(i);
        running += 1;
        most = Math.max(most, running);
        await new Promise<void>((r) => releases.push(r));
        running -= 1;
        return i;
      }),
    );
    // Release whichever works are waiting on their release, until all five have run.
    for (let released = 0; released < 5; released++) {
      for (let turns = 0; releases.length === 0; turns++) {
        if (turns > 1_000) throw new Error('no work started within 1,000 event-loop turns');
        await new Promise((r) => setImmediate(r));
      }
      releases.shift()!();
    }

    expect(await Promise.all(works)).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4]);
  });

  test('when a work throws, then its slot is freed for the next', async () => {
    const sem = createSemaphore(1);
    await expect(sem.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await sem.run(async () => 'next')).toBe('next');
  });
});
