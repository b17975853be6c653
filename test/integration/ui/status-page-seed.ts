import { randomUUID } from 'node:crypto';
import type { Core } from '../../../src/shared/core';
import type { NodeStatus } from '../../../src/shared/nodes/node';
import { seedFleet } from '../../../bench/poll/seed-fleet';
import { buildNodeInput } from '../../helpers/factories';
import { issueKey } from '../../helpers/http';
import { THINGSPEAK_ERROR_CODES } from '../../../src/shared/thingspeak/thingspeak-error';

export interface SeededNode {
  id: string;
  label: string;
  status: NodeStatus;
  levelPct: number | null;
  /** The node's channel answered its last poll with this ThingSpeak error (never read since). */
  channelErrorCode?: string;
}

export interface StatusPageSeed {
  communityId: string;
  /** A customer key of the seeded community: the page shows exactly the seeded nodes. */
  key: string;
  nodes: SeededNode[];
  alert: { id: string; title: string };
}

const NODES: Array<{ label: string; status: NodeStatus; levelPct: number | null; seenMinutesAgo: number | null; channelErrorCode?: string }> = [
  { label: 'Bakul OHT', status: 'Online', levelPct: 72.5, seenMinutesAgo: 1 },
  { label: 'Parijat sump', status: 'Alert', levelPct: 12.4, seenMinutesAgo: 2 },
  { label: 'Vindhya OHT', status: 'Offline', levelPct: 55, seenMinutesAgo: 190 },
  // Provisioned with a channel id ThingSpeak does not know: every poll fails with 404, no reading ever.
  { label: 'Yamuna sump', status: 'provisioning', levelPct: null, seenMinutesAgo: null, channelErrorCode: THINGSPEAK_ERROR_CODES.not_found },
];

/**
 * A community with four tanks (one never read: its channel answers 404) whose state is written as a poll would leave it (status, last seen,
 * derived level) and one open alert: what the page must show, without running workers.
 */
export async function seedStatusPage(core: Core): Promise<StatusPageSeed> {
  const community = await core.repos.communities.create({ slug: `status-${randomUUID().slice(0, 8)}`, name: 'Status page test', distributorId: null });
  if (community === 'slug_taken') throw new Error('community slug collision in a test');
  const nodes: SeededNode[] = [];
  for (const spec of NODES) {
    const node = await core.repos.nodes.create(buildNodeInput({ label: spec.label }), community.id);
    if (node === 'node_key_taken') throw new Error('node key collision in a test');
    const seenAt = spec.seenMinutesAgo === null ? null : new Date(Date.now() - spec.seenMinutesAgo * 60_000);
    await core.db('nodes').where({ id: node.id }).update({ status: spec.status, last_seen_at: seenAt });
    await core
      .db('node_state')
      .where({ node_id: node.id })
      .update({ last_reading_at: seenAt, level_pct: spec.levelPct, volume_l: spec.levelPct === null ? null : Math.round(4890 * spec.levelPct) / 100, capacity_l: 4890, derivation_note: null });
    if (spec.channelErrorCode) {
      // What the poll worker's recordFailure leaves after three failed polls.
      const failedAt = new Date(Date.now() - 60_000);
      const updated = await core
        .db('channel_sync_state')
        .whereIn('node_channel_id', core.db('node_channels').where({ node_id: node.id }).select('id'))
        .update({ last_poll_at: failedAt, last_error: 'ThingSpeak channel not found', last_error_code: spec.channelErrorCode, last_error_at: failedAt, consecutive_failures: 3 });
      if (updated !== 1) throw new Error(`expected one channel sync row for ${spec.label}, updated ${updated}`);
    }
    nodes.push({ id: node.id, label: spec.label, status: spec.status, levelPct: spec.levelPct, ...(spec.channelErrorCode ? { channelErrorCode: spec.channelErrorCode } : {}) });
  }
  const alert = await insertOpenAlert(core, { nodeId: nodes[1]!.id, communityId: community.id, title: 'Parijat sump low', message: 'level_pct 12.4 < 20', severity: 'critical' });
  return { communityId: community.id, key: await issueKey(core, { role: 'customer', communityId: community.id }, 'status page test'), nodes, alert };
}

/** A threshold alert as the alert engine records one: open (triggered 5 min ago unless said), or resolved at `resolvedAt`. */
export async function insertThresholdAlert(
  core: Core,
  a: { nodeId: string; communityId: string; title: string; message: string; severity: 'critical' | 'warning' | 'info'; triggeredAt?: Date; resolvedAt?: Date | null },
): Promise<{ id: string; title: string }> {
  const resolvedAt = a.resolvedAt ?? null;
  const [row] = (await core
    .db('alerts')
    .insert({
      node_id: a.nodeId,
      community_id: a.communityId,
      condition_key: `test:${randomUUID()}`,
      kind: 'threshold',
      severity: a.severity,
      status: resolvedAt === null ? 'open' : 'resolved',
      title: a.title,
      message: a.message,
      metric: 'level_pct',
      triggered_at: a.triggeredAt ?? new Date(Date.now() - 5 * 60_000),
      resolved_at: resolvedAt,
    })
    .returning('id')) as Array<{ id: string }>;
  return { id: row!.id, title: a.title };
}

/** An open threshold alert, as the alert engine records one. */
export function insertOpenAlert(core: Core, a: { nodeId: string; communityId: string; title: string; message: string; severity: 'critical' | 'warning' | 'info' }): Promise<{ id: string; title: string }> {
  return insertThresholdAlert(core, a);
}

export interface StatusPageFleet {
  communityId: string;
  /** A customer key of the fleet's community: the page shows exactly the fleet. */
  key: string;
  /** Every node id in the list's order, (label, id), as the database sorts them. */
  orderedIds: string[];
}

/** Channel ids of one width, so that no label ("Bench tank 7004321") is part of another; clear of the factories' 500k–1.6M. */
const FLEET_FIRST_CHANNEL = 7_000_000;

/**
 * A fleet of `size` nodes in its own community, seeded with the benchmarks' multi-row INSERTs
 * (bench/poll/seed-fleet.ts: seconds for 10,000, where one repository call per node takes
 * minutes), then given what a poll round would leave: mixed statuses, some sumps, levels and
 * last-seen times, all derived from the channel id so that the counts are known from SQL.
 */
export async function seedStatusPageFleet(core: Core, size: number): Promise<StatusPageFleet> {
  const channels = Array.from({ length: size }, (_, i) => FLEET_FIRST_CHANNEL + i);
  const fleet = await seedFleet(core.db, { channels });
  const [{ community_id: communityId }] = (await core.db('nodes').where({ id: fleet[0]!.nodeId }).select('community_id')) as [{ community_id: string }];
  // n is the node's channel id (node_key "bench-<n>"): statuses in turn (3 of 7 Online), every 10th node a sump.
  await core.db.raw(
    `UPDATE nodes SET
       status = (ARRAY['Online', 'Online', 'Online', 'Offline', 'Alert', 'Maintenance', 'provisioning'])[1 + split_part(node_key, '-', 2)::int % 7],
       category = CASE WHEN split_part(node_key, '-', 2)::int % 10 = 3 THEN 'Sump' ELSE 'OHT' END,
       last_seen_at = now() - make_interval(mins => split_part(node_key, '-', 2)::int % 120)
     WHERE community_id = ?`,
    [communityId],
  );
  await core.db.raw(
    `UPDATE node_state SET level_pct = split_part(nodes.node_key, '-', 2)::int % 97 + 0.5, derivation_note = NULL,
       last_reading_at = nodes.last_seen_at
     FROM nodes WHERE nodes.id = node_state.node_id AND nodes.community_id = ?`,
    [communityId],
  );
  // What autovacuum does soon after on a real database: without statistics for the new rows the
  // planner picks plans made for empty tables (a page of the list took 35 ms instead of 7).
  await core.db.raw('ANALYZE nodes, node_state, node_channels, channel_sync_state');
  const ordered = (await core.db('nodes').where({ community_id: communityId }).orderBy([{ column: 'label' }, { column: 'id' }]).select('id')) as Array<{ id: string }>;
  return { communityId, key: await issueKey(core, { role: 'customer', communityId }, 'status page fleet test'), orderedIds: ordered.map((r) => r.id) };
}

/**
 * Deletes the fleet (its nodes, their rows, the community and its keys): the suite's other files
 * share this database, and 10,000 more active channels would be polled by their ticks and swept
 * by their offline checks. Found by seedFleet's community slug, so a half-seeded fleet goes too.
 */
export async function removeStatusPageFleet(core: Core): Promise<void> {
  const community = (await core.db('communities').where({ slug: 'bench-fleet' }).first('id')) as { id: string } | undefined;
  if (!community) return;
  await core.db('nodes').where({ community_id: community.id }).delete();
  await core.db('communities').where({ id: community.id }).delete();
}
