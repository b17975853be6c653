import { parkDelayMs } from '../../../src/workers/park-job';

describe('parkDelayMs: the one wait of a job parked by an unreachable database', () => {
  const policy = { parkMs: 1_000, rampMs: 0 };

  test('when a job is parked again and again, then its wait doubles from WORKER_PARK_MS up to five minutes', () => {
    expect([0, 1, 2, 3].map((n) => parkDelayMs(policy, n, 0))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(parkDelayMs(policy, 30, 0)).toBe(300_000);
  });

  test("when the breaker's next probe is later than the backoff, then the job waits for the probe", () => {
    expect(parkDelayMs(policy, 0, 60_000)).toBe(60_000);
  });

  test('when a ramp window is set, then the wait is spread over it at random', () => {
    expect(parkDelayMs({ parkMs: 1_000, rampMs: 500 }, 0, 0, () => 0.5)).toBe(1_250);
    expect(parkDelayMs({ parkMs: 1_000, rampMs: 500 }, 0, 0, () => 0)).toBe(1_000);
  });
});
