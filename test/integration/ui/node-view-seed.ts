import { randomUUID } from 'node:crypto';
import type { Core } from '../../../src/shared/core';
import { buildNodeInput } from '../../helpers/factories';
import { insertReadings, levelToDistance } from '../../helpers/alerts';
import { updateRollups } from '../../../src/shared/rollups/update-rollups';
import { issueKey } from '../../helpers/http';
import { insertThresholdAlert } from './status-page-seed';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface SeededAlert {
  id: string;
  title: string;
  triggeredAt: number;
  resolvedAt: number | null;
}

export interface NodeViewSeed {
  communityId: string;
  /** A customer key of the seeded community: it sees exactly the seeded tank. */
  key: string;
  node: { id: string; label: string; channelId: string };
  /** Times (ms) of every reading stored, oldest first (entry ids 1..n in this order). */
  readingTimes: number[];
  /** Readings within the last 24 h: one an hour, so the 24 h view (bucket=raw) draws exactly 24 points. */
  lastDayReadings: number;
  alerts: SeededAlert[];
}

/** A tank's level over a day: drawn down from 90 % to 35 % by evening, refilled overnight. */
function levelAt(t: number): number {
  const hour = new Date(t).getUTCHours();
  return hour < 6 ? 35 + hour * 9 : Math.max(35, 90 - (hour - 6) * 3.5);
}

/**
 * A tank with readings as a poll would store them: 24 within the last 24 h, one an hour (at
 * 30 min past now's minute, so none sits on the range's edge), and 4 a day (every 6 h) for the 5
 * days before, for the 7-day view. Three alerts: one open (triggered 1 h ago), one resolved
 * within the last day, one resolved 3 days ago (only the 7-day view shows it).
 */
export async function seedNodeView(core: Core): Promise<NodeViewSeed> {
  const community = await core.repos.communities.create({ slug: `node-view-${randomUUID().slice(0, 8)}`, name: 'Node view test', distributorId: null });
  if (community === 'slug_taken') throw new Error('community slug collision in a test');
  const node = await core.repos.nodes.create(buildNodeInput({ label: 'Bakul OHT', expectedIntervalS: 3600 }), community.id);
  if (node === 'node_key_taken') throw new Error('node key collision in a test');

  const now = Date.now();
  const lastDay = Array.from({ length: 24 }, (_, i) => now - 30 * 60_000 - i * HOUR_MS);
  const earlier = Array.from({ length: 20 }, (_, i) => now - 2 * DAY_MS - i * 6 * HOUR_MS);
  const readingTimes = [...lastDay, ...earlier].sort((a, b) => a - b);
  const stored = await insertReadings(
    core,
    { nodeId: node.id, nodeChannelId: node.channels[0]!.id },
    readingTimes.map((at) => ({ at, fields: { field1: 24.5, field2: levelToDistance(levelAt(at)) } })),
  );
  // As a poll would leave it: the cursor past these entries, and the rollups job run over them, so
  // the 7 d (hourly) and 30 d (daily) views have their buckets.
  await core.db('channel_sync_state').where({ node_channel_id: node.channels[0]!.id }).update({ last_entry_id: stored.to });
  await updateRollups({ db: core.db }, core.log);
  await core.db('nodes').where({ id: node.id }).update({ status: 'Alert', last_seen_at: new Date(readingTimes[readingTimes.length - 1]!) });

  const alerts = [
    await insertAlert(core, { nodeId: node.id, communityId: community.id, title: 'Bakul OHT low', severity: 'critical', triggeredAt: now - HOUR_MS, resolvedAt: null }),
    await insertAlert(core, { nodeId: node.id, communityId: community.id, title: 'Bakul OHT not reporting', severity: 'warning', triggeredAt: now - 5 * HOUR_MS, resolvedAt: now - 3 * HOUR_MS }),
    await insertAlert(core, { nodeId: node.id, communityId: community.id, title: 'Bakul OHT nearly full', severity: 'info', triggeredAt: now - 3 * DAY_MS, resolvedAt: now - 3 * DAY_MS + 2 * HOUR_MS }),
  ];
  return {
    communityId: community.id,
    key: await issueKey(core, { role: 'customer', communityId: community.id }, 'node view test'),
    node: { id: node.id, label: node.label, channelId: node.channels[0]!.id },
    readingTimes,
    lastDayReadings: lastDay.length,
    alerts,
  };
}

/** An alert as the alert engine records one: open, or resolved at resolvedAt. */
async function insertAlert(
  core: Core,
  a: { nodeId: string; communityId: string; title: string; severity: 'critical' | 'warning' | 'info'; triggeredAt: number; resolvedAt: number | null },
): Promise<SeededAlert> {
  const { id } = await insertThresholdAlert(core, {
    ...a,
    message: `${a.title} (test)`,
    triggeredAt: new Date(a.triggeredAt),
    resolvedAt: a.resolvedAt === null ? null : new Date(a.resolvedAt),
  });
  return { id, title: a.title, triggeredAt: a.triggeredAt, resolvedAt: a.resolvedAt };
}
