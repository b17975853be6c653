import { decideNodeStatus, type NodeStatusFacts } from '../../../src/shared/nodes/node-status-rule';
import { isOnline, offlineAfterMs, offlineAfterSql, offlineSince } from '../../../src/shared/nodes/offline-threshold';

const now = new Date('2026-11-29T12:00:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);
const facts = (f: Partial<NodeStatusFacts> = {}): NodeStatusFacts => ({ current: 'Online', lastReadingAt: minutesAgo(1), expectedIntervalS: 60, urgentAlertOpen: false, ...f });

describe('the offline threshold', () => {
  test('when a node has been silent for up to three expected intervals, then it is online; one second more and it is offline', () => {
    expect(offlineAfterMs(60)).toBe(180_000);
    expect(isOnline(new Date(now.getTime() - 180_000), 60, now)).toBe(true);
    expect(isOnline(new Date(now.getTime() - 181_000), 60, now)).toBe(false);
    expect(isOnline(null, 60, now)).toBe(false);
  });

  test('when asked since when a node is offline, then it is its last reading plus the threshold, and SQL uses the same factor', () => {
    expect(offlineSince(minutesAgo(10), 60).getTime()).toBe(minutesAgo(7).getTime());
    expect(offlineAfterSql('nodes.expected_interval_s')).toBe('make_interval(secs => nodes.expected_interval_s * 3)');
  });
});

describe('decideNodeStatus', () => {
  test('when the node has fresh data and no urgent alert, then it is Online', () => {
    expect(decideNodeStatus(facts(), now)).toBe('Online');
  });

  test('when a warning or critical alert is unresolved, then it is Alert while data is fresh, and Offline once data is stale', () => {
    expect(decideNodeStatus(facts({ urgentAlertOpen: true }), now)).toBe('Alert');
    expect(decideNodeStatus(facts({ urgentAlertOpen: true, lastReadingAt: minutesAgo(10) }), now)).toBe('Offline');
  });

  test('when nothing was ever stored, then it is provisioning', () => {
    expect(decideNodeStatus(facts({ lastReadingAt: null, current: 'provisioning' }), now)).toBe('provisioning');
  });

  test('when an operator put the node in maintenance, then it stays Maintenance whatever the data says, until they take it out', () => {
    expect(decideNodeStatus(facts({ current: 'Maintenance', urgentAlertOpen: true }), now)).toBe('Maintenance');
    expect(decideNodeStatus(facts({ current: 'Online' }), now, true)).toBe('Maintenance');
    expect(decideNodeStatus(facts({ current: 'Maintenance' }), now, false)).toBe('Online');
    expect(decideNodeStatus(facts({ current: 'Maintenance', lastReadingAt: minutesAgo(10) }), now, false)).toBe('Offline');
  });
});
