import type { Db } from '../db/knex';
import { inTransaction } from '../db/transaction';
import type { Logger } from '../logger';
import { metricsOfNode, rollupValues } from './rollup-metrics';
import { completeRollupRebuild, foldSamples, pendingEpochs, pendingRollupRebuilds, readingsInEntryRanges, saveProgress, tryLockRollups, type KeyedReading, type PendingEpoch } from './rollups.repository';
import { rebuildNodeRollups } from './recompute-rollups';
import type { RollupSample } from './rollup-aggregate';

export interface UpdateRollupsLimits {
  /** Channel epochs per transaction. */
  epochsPerBatch: number;
  /** Entry ids per transaction (a first fold of a long history goes in several). */
  entriesPerBatch: number;
  /** Transactions per run at most; the next run goes on. */
  maxBatches: number;
  /** Nodes rebuilt per run at most (each reads all its stored readings). */
  maxRebuilds: number;
}

// A batch of 20k entries writes up to ~160k bucket rows (4 metrics, hour and day): seconds, not minutes.
export const DEFAULT_ROLLUP_LIMITS: UpdateRollupsLimits = { epochsPerBatch: 20_000, entriesPerBatch: 20_000, maxBatches: 500, maxRebuilds: 20 };

export type UpdateRollupsResult = { skipped: string } | { rebuilt: number; batches: number; epochs: number; readings: number; buckets: number; more: boolean };

/**
 * Folds readings stored since the last run into their hour and day buckets. Each batch takes the
 * epochs with entries past their progress, reads exactly those entries, folds them and advances the
 * progress in one transaction: a crash or a retry folds nothing twice, a re-fetch stores (and so
 * folds) nothing new, and entries of any date (back-dated, out of order) land in their own buckets.
 * First, nodes whose readings changed meaning (requestRollupRebuild) get their buckets rebuilt.
 */
export async function updateRollups(deps: { db: Db }, log: Logger, limits: UpdateRollupsLimits = DEFAULT_ROLLUP_LIMITS): Promise<UpdateRollupsResult> {
  const total = { rebuilt: 0, batches: 0, epochs: 0, readings: 0, buckets: 0, more: false };
  for (let i = 0; i < limits.maxRebuilds; i++) {
    const rebuilt = await inTransaction(deps.db, async (tx) => {
      if (!(await tryLockRollups(tx))) return 'locked' as const;
      const [next] = await pendingRollupRebuilds(tx, 1);
      if (!next) return undefined;
      await rebuildNodeRollups(tx, next.nodeId);
      await completeRollupRebuild(tx, next.nodeId, next.requestedAt);
      return next.nodeId;
    });
    if (rebuilt === 'locked') return { skipped: 'rollups are being written by another job' };
    if (!rebuilt) break;
    total.rebuilt += 1;
    log.info({ nodeId: rebuilt }, 'rollups rebuilt after a settings change');
  }
  for (let i = 0; i < limits.maxBatches; i++) {
    const batch = await inTransaction(deps.db, async (tx) => {
      if (!(await tryLockRollups(tx))) return 'locked' as const;
      const pending = await pendingEpochs(tx, limits.epochsPerBatch);
      if (pending.length === 0) return undefined;
      const ranges = withinBudget(pending, limits.entriesPerBatch);
      const readings = await readingsInEntryRanges(tx, ranges);
      const buckets = await foldSamples(tx, samplesOf(ranges, readings));
      await saveProgress(tx, ranges.map((r) => ({ channelEpochId: r.channelEpochId, lastEntryId: r.upTo, closed: r.closed && r.upTo === r.pendingUpTo })));
      return { epochs: ranges.length, readings: readings.length, buckets, cut: ranges.length < pending.length || ranges.some((r) => r.upTo < r.pendingUpTo) || pending.length === limits.epochsPerBatch };
    });
    if (batch === 'locked') {
      if (total.batches === 0 && total.rebuilt === 0) return { skipped: 'rollups are being written by another job' };
      break;
    }
    if (!batch) break;
    total.batches += 1;
    total.epochs += batch.epochs;
    total.readings += batch.readings;
    total.buckets += batch.buckets;
    total.more = batch.cut;
    if (!batch.cut) break;
  }
  if (total.readings > 0 || total.more) log.info(total, 'rollups updated');
  return total;
}

type Range = PendingEpoch & { pendingUpTo: number };

/** The epochs' ranges, cut so a batch reads about `budget` entry ids; each epoch moves by one at least. */
function withinBudget(pending: PendingEpoch[], budget: number): Range[] {
  const ranges: Range[] = [];
  let left = budget;
  for (const p of pending) {
    if (left <= 0) break;
    const upTo = Math.min(p.upTo, p.after + Math.max(1, left));
    left -= upTo - p.after;
    ranges.push({ ...p, upTo, pendingUpTo: p.upTo });
  }
  return ranges;
}

function samplesOf(ranges: Range[], readings: KeyedReading[]): RollupSample[] {
  const byEpoch = new Map(ranges.map((r) => [r.channelEpochId, { range: r, names: metricsOfNode(r.analyticsType, [r.mapping]) }]));
  const samples: RollupSample[] = [];
  for (const reading of readings) {
    const { range, names } = byEpoch.get(reading.channelEpochId)!;
    for (const [metric, value] of rollupValues(reading, range.mapping, range, names)) {
      samples.push({ nodeChannelId: range.nodeChannelId, metric, at: reading.recordedAt.getTime(), channelEpochId: reading.channelEpochId, entryId: reading.entryId, value });
    }
  }
  return samples;
}
