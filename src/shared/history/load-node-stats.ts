import { nodeStats, readingsNeededFrom, statsKindOf, type NodeForStats, type NodeStats } from './node-stats';
import type { NodeStatsRepository } from './node-stats.repository';
import { lastUtcDays } from './utc-days';

/**
 * A node's stats over `days` UTC days ending at `nowMs`: readings counted per day for every node,
 * and read one by one only for tanks and flow meters (consumption and days to empty need them).
 */
export async function loadNodeStats(repo: NodeStatsRepository, node: NodeForStats, q: { days: number; nowMs: number }): Promise<NodeStats> {
  const now = new Date(q.nowMs);
  const epochs = await repo.epochsOf(node.id);
  const firstDay = new Date(lastUtcDays(q.nowMs, q.days)[0]!);
  const needsReadings = statsKindOf(node.analyticsType) !== 'other';
  const [countsByDay, readings] = await Promise.all([
    repo.countsByDay(epochs, firstDay, now),
    needsReadings ? repo.readingsBetween(epochs, new Date(readingsNeededFrom(q.nowMs, q.days)), now) : Promise.resolve([]),
  ]);
  return nodeStats(node, { readings, countsByDay, nowMs: q.nowMs, days: q.days });
}
