import { nodeStats, readingsNeededFrom, samplesFromReadings, samplesFromValues, type NodeForStats, type NodeSamples, type NodeStats } from './node-stats';
import type { NodeStatsRepository } from './node-stats.repository';
import { lastUtcDays } from './utc-days';
import { valueColumnsOf } from './value-columns';
import type { NodeEpoch } from './mapped-reading';

/**
 * The samples of a node from `from` on: one column per reading when the value sits in a typed
 * column (the common case, and the fast one), else every reading decoded in full.
 */
export async function loadSamples(repo: NodeStatsRepository, node: NodeForStats, epochs: readonly NodeEpoch[], from: Date, to: Date): Promise<NodeSamples> {
  const plan = valueColumnsOf(node, epochs);
  if (!plan) return { measure: 'none' };
  if (plan.untyped) return samplesFromReadings(node, await repo.readingsBetween(epochs, from, to), plan.measure === 'totaliser');
  const values = await repo.valuesBetween(plan.columns, from, to, plan.measure === 'distance' ? 'positive' : 'nonNegative');
  return samplesFromValues(node, plan.measure, values);
}

/** A node's stats over `days` UTC days ending at `nowMs`: readings counted per day, and the samples consumption and days to empty need. */
export async function loadNodeStats(repo: NodeStatsRepository, node: NodeForStats, q: { days: number; nowMs: number }): Promise<NodeStats> {
  const now = new Date(q.nowMs);
  const epochs = await repo.epochsOf(node.id);
  const firstDay = new Date(lastUtcDays(q.nowMs, q.days)[0]!);
  const [countsByDay, samples] = await Promise.all([repo.countsByDay(epochs, firstDay, now), loadSamples(repo, node, epochs, new Date(readingsNeededFrom(q.nowMs, q.days)), now)]);
  return nodeStats(node, { samples, countsByDay, nowMs: q.nowMs, days: q.days });
}
