import { randomUUID } from 'node:crypto';
import type { Core } from '../../../src/shared/core';
import type { NodeStatus } from '../../../src/shared/nodes/node';
import { buildNodeInput } from '../../helpers/factories';
import { issueKey } from '../../helpers/http';

export interface SeededNode {
  id: string;
  label: string;
  status: NodeStatus;
  levelPct: number | null;
}

export interface StatusPageSeed {
  communityId: string;
  /** A customer key of the seeded community: the page shows exactly the seeded nodes. */
  key: string;
  nodes: SeededNode[];
  alert: { id: string; title: string };
}

const NODES: Array<{ label: string; status: NodeStatus; levelPct: number | null; seenMinutesAgo: number }> = [
  { label: 'Bakul OHT', status: 'Online', levelPct: 72.5, seenMinutesAgo: 1 },
  { label: 'Parijat sump', status: 'Alert', levelPct: 12.4, seenMinutesAgo: 2 },
  { label: 'Vindhya OHT', status: 'Offline', levelPct: 55, seenMinutesAgo: 190 },
];

/**
 * A community with three tanks whose state is written as a poll would leave it (status, last seen,
 * derived level) and one open alert: what the page must show, without running workers.
 */
export async function seedStatusPage(core: Core): Promise<StatusPageSeed> {
  const community = await core.repos.communities.create({ slug: `status-${randomUUID().slice(0, 8)}`, name: 'Status page test', distributorId: null });
  if (community === 'slug_taken') throw new Error('community slug collision in a test');
  const nodes: SeededNode[] = [];
  for (const spec of NODES) {
    const node = await core.repos.nodes.create(buildNodeInput({ label: spec.label }), community.id);
    if (node === 'node_key_taken') throw new Error('node key collision in a test');
    const seenAt = new Date(Date.now() - spec.seenMinutesAgo * 60_000);
    await core.db('nodes').where({ id: node.id }).update({ status: spec.status, last_seen_at: seenAt });
    await core
      .db('node_state')
      .where({ node_id: node.id })
      .update({ last_reading_at: seenAt, level_pct: spec.levelPct, volume_l: spec.levelPct === null ? null : Math.round(4890 * spec.levelPct) / 100, capacity_l: 4890, derivation_note: null });
    nodes.push({ id: node.id, label: spec.label, status: spec.status, levelPct: spec.levelPct });
  }
  const alert = await insertOpenAlert(core, { nodeId: nodes[1]!.id, communityId: community.id, title: 'Parijat sump low', message: 'level_pct 12.4 < 20', severity: 'critical' });
  return { communityId: community.id, key: await issueKey(core, { role: 'customer', communityId: community.id }, 'status page test'), nodes, alert };
}

/** An open threshold alert, as the alert engine records one. */
export async function insertOpenAlert(core: Core, a: { nodeId: string; communityId: string; title: string; message: string; severity: 'critical' | 'warning' | 'info' }): Promise<{ id: string; title: string }> {
  const [row] = (await core
    .db('alerts')
    .insert({
      node_id: a.nodeId,
      community_id: a.communityId,
      condition_key: `test:${randomUUID()}`,
      kind: 'threshold',
      severity: a.severity,
      status: 'open',
      title: a.title,
      message: a.message,
      metric: 'level_pct',
      triggered_at: new Date(Date.now() - 5 * 60_000),
    })
    .returning('id')) as Array<{ id: string }>;
  return { id: row!.id, title: a.title };
}
