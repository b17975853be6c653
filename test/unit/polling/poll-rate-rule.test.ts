import { currentPollRate, decreasedPollRate, pollRateRule } from '../../../src/shared/polling/poll-rate-rule';
import { rateLimitedWaitMs } from '../../../src/shared/polling/poll-channel-job';
import { ThingSpeakError } from '../../../src/shared/thingspeak/thingspeak-error';

describe('poll rate (AIMD)', () => {
  // 1,000 polls/s at most; 60 s to climb from 0 back to it: +1,000/60 per second.
  const rule = pollRateRule(1_000, 60_000);

  test('when nothing ever slowed it, then the rate is POLL_MAX_PER_SECOND', () => {
    expect(currentPollRate(null, rule, 123)).toBe(1_000);
  });

  test('when a slow-down signal comes, then the rate halves at once', () => {
    const state = decreasedPollRate(null, rule, 10_000)!;
    expect(state).toEqual({ base: 500, at: 10_000 });
    expect(currentPollRate(state, rule, 10_000)).toBe(500);
  });

  test('when signals come in a burst, then only the first within the cooldown halves it', () => {
    const first = decreasedPollRate(null, rule, 10_000)!;
    expect(decreasedPollRate(first, rule, 10_000 + rule.decreaseCooldownMs - 1)).toBeUndefined();
    const second = decreasedPollRate(first, rule, 10_000 + rule.decreaseCooldownMs)!;
    // 500 plus one second of climbing (16.6) is 516, halved.
    expect(second.base).toBe(258);
  });

  test('when no signal follows, then it climbs back linearly and stops at the maximum', () => {
    const state = decreasedPollRate(null, rule, 0)!;
    expect(currentPollRate(state, rule, 6_000)).toBe(600);
    expect(currentPollRate(state, rule, 15_000)).toBe(750);
    expect(currentPollRate(state, rule, 30_000)).toBe(1_000);
    expect(currentPollRate(state, rule, 3_600_000)).toBe(1_000);
  });

  test('when signals keep coming, then the rate never goes below 1 poll/s', () => {
    let state = decreasedPollRate(null, pollRateRule(4, 60_000), 0)!;
    for (let t = 1_000; t <= 10_000; t += 1_000) state = decreasedPollRate(state, pollRateRule(4, 60_000), t)!;
    expect(currentPollRate(state, pollRateRule(4, 60_000), 10_000)).toBe(1);
  });
});

describe('429 wait', () => {
  const limited = (retryAfterMs?: number) => new ThingSpeakError('rate_limited', 'ThingSpeak channel 1: rate limited (HTTP 429)', { channelId: '1', upstreamStatus: 429, retryAfterMs });

  test('when ThingSpeak says Retry-After, then the channel waits that long, within 1 s .. 1 h', () => {
    expect(rateLimitedWaitMs(limited(8_000))).toBe(8_000);
    expect(rateLimitedWaitMs(limited(0))).toBe(1_000);
    expect(rateLimitedWaitMs(limited(7 * 86_400_000))).toBe(3_600_000);
  });

  test('when it says nothing, then the channel waits 30 s', () => {
    expect(rateLimitedWaitMs(limited())).toBe(30_000);
  });
});
