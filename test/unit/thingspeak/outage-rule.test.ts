import { NO_OUTAGE, nextOutageState } from '../../../src/shared/thingspeak/outage-rule';
import { isThingSpeakWideFailure } from '../../../src/shared/thingspeak/outage-monitor';
import { ThingSpeakError } from '../../../src/shared/thingspeak/thingspeak-error';
import { systemTransitionEvent } from '../../../src/api/ws/live-events-subscriber';

describe('ThingSpeak outage rule', () => {
  const rule = { ratio: 0.5, outageMs: 300_000 };
  const bad = { ok: 1, failed: 9 };
  const good = { ok: 9, failed: 1 };

  test('when most polls fail, then the outage is declared only once they have failed for THINGSPEAK_OUTAGE_MS', () => {
    let s = nextOutageState(NO_OUTAGE, bad, rule, 0);
    expect(s).toEqual({ state: { status: 'up', badSince: 0 } });
    s = nextOutageState(s.state, bad, rule, 299_999);
    expect(s.transition).toBeUndefined();
    s = nextOutageState(s.state, bad, rule, 300_000);
    expect(s).toEqual({ state: { status: 'outage', badSince: 0 }, transition: 'outage' });
    expect(nextOutageState(s.state, bad, rule, 400_000).transition).toBeUndefined();
  });

  test('when a good sample comes in between, then the clock starts again', () => {
    const first = nextOutageState(NO_OUTAGE, bad, rule, 0).state;
    const reset = nextOutageState(first, good, rule, 100_000).state;
    expect(reset).toEqual(NO_OUTAGE);
    expect(nextOutageState(nextOutageState(reset, bad, rule, 200_000).state, bad, rule, 300_000).transition).toBeUndefined();
  });

  test('when exactly the ratio fails, then the sample is not bad (more than the ratio must fail)', () => {
    expect(nextOutageState(NO_OUTAGE, { ok: 5, failed: 5 }, rule, 0).state).toEqual(NO_OUTAGE);
  });

  test('when no polls ran (they back off), then nothing changes: silence is not recovery', () => {
    const outage = { status: 'outage' as const, badSince: 0 };
    expect(nextOutageState(outage, { ok: 0, failed: 0 }, rule, 900_000)).toEqual({ state: outage });
  });

  test('when polls succeed again during an outage, then it recovers at once', () => {
    expect(nextOutageState({ status: 'outage', badSince: 0 }, good, rule, 900_000)).toEqual({ state: NO_OUTAGE, transition: 'up' });
  });

  test('when a poll fails for a reason of its own channel, then it does not count towards an outage', () => {
    const kinds = ['server_error', 'timeout', 'network', 'rate_limited', 'access_denied', 'not_found', 'bad_response'] as const;
    expect(kinds.filter((k) => isThingSpeakWideFailure(new ThingSpeakError(k, 'x')))).toEqual(['server_error', 'timeout', 'network']);
    expect(isThingSpeakWideFailure(new Error('ECONNREFUSED'))).toBe(false);
  });
});

describe('live SYSTEM_* events', () => {
  test('when ThingSpeak enters or leaves an outage, then clients get SYSTEM_DEGRADED / SYSTEM_RECOVERED with dependency thingspeak', () => {
    const down = systemTransitionEvent(JSON.stringify({ type: 'thingspeak', transition: { at: 0, from: 'up', to: 'outage', reason: 'r' } }));
    const up = systemTransitionEvent(JSON.stringify({ type: 'thingspeak', transition: { at: 0, from: 'outage', to: 'up', reason: 'r' } }));
    expect(down).toMatchObject({ event: 'SYSTEM_DEGRADED', data: { dependency: 'thingspeak', at: '1970-01-01T00:00:00.000Z', reason: 'r' } });
    expect(up).toMatchObject({ event: 'SYSTEM_RECOVERED', data: { dependency: 'thingspeak' } });
    expect(systemTransitionEvent(JSON.stringify({ type: 'breaker', transition: { at: 0, from: 'closed', to: 'open', reason: 'x' } }))).toMatchObject({ event: 'SYSTEM_DEGRADED', data: { dependency: 'database' } });
    expect(systemTransitionEvent(JSON.stringify({ type: 'thingspeak', transition: { at: 0, to: 'open' } }))).toBeUndefined();
  });
});
