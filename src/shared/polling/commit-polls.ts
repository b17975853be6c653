import type { Db } from '../db/knex';
import { inTransaction, type Tx } from '../db/transaction';
import { isDatabaseUnavailable, isUniqueViolation } from '../db/db-errors';
import { deriveState, foldMetrics } from '../nodes/node-state';
import { refreshNodeStatuses } from '../nodes/node-status';
import type { NodeStatusRepository } from '../nodes/node-status.repository';
import { isOnline } from '../nodes/offline-threshold';
import type { InsertedReading, LockedSync, NodeStateUpsert, PollCommitRepository, ReadingToInsert, SyncUpdate } from './poll-commit.repository';
import type { CommitInput, CommitResult } from './poll-types';
import type { InsertMode } from '../readings/reading-writer';

export interface CommitPollsDeps {
  db: Db;
  commits: PollCommitRepository;
  nodeStatus: NodeStatusRepository;
}

/**
 * Commits many polls in one transaction: each channel's readings with its cursor, then the nodes'
 * derived state and status. Batching is what lets one worker keep up with a fleet: a commit costs
 * a handful of statements and one WAL flush whether it carries 1 poll or 200.
 *
 * When the batch fails for a reason other than an unreachable database (a bad row, a deadlock),
 * every poll is retried alone so one bad poll cannot fail its neighbours. Results are per poll.
 */
export async function commitPolls(deps: CommitPollsDeps, inputs: CommitInput[]): Promise<Array<PromiseSettledResult<CommitResult>>> {
  try {
    const results = await inTransaction(deps.db, (tx) => commitInRounds(deps, tx, inputs));
    return results.map((value) => ({ status: 'fulfilled', value }));
  } catch (err) {
    if (inputs.length === 1 || isDatabaseUnavailable(err)) return inputs.map(() => ({ status: 'rejected', reason: err }));
    // One at a time: a batch of 200 retried at once would queue for the pool past its acquire
    // timeout, which the breaker would count as a database outage.
    const results: Array<PromiseSettledResult<CommitResult>> = [];
    for (const input of inputs) {
      try {
        const [value] = await inTransaction(deps.db, (tx) => commitInRounds(deps, tx, [input]));
        results.push({ status: 'fulfilled', value: value! });
      } catch (reason) {
        results.push({ status: 'rejected', reason });
      }
    }
    return results;
  }
}

/** Two polls of one channel in a batch are committed one after the other, as if unbatched. */
async function commitInRounds(deps: CommitPollsDeps, tx: Tx, inputs: CommitInput[]): Promise<CommitResult[]> {
  const results = new Array<CommitResult>(inputs.length);
  let pending = inputs.map((input, index) => ({ input, index }));
  while (pending.length > 0) {
    const seen = new Set<string>();
    const round = pending.filter((p) => !seen.has(p.input.target.nodeChannelId) && seen.add(p.input.target.nodeChannelId));
    pending = pending.filter((p) => !round.includes(p));
    const done = await commitRound(deps, tx, round.map((r) => r.input));
    round.forEach((r, i) => (results[r.index] = done[i]!));
  }
  return results;
}

/**
 * One page of a history import, overlapped with the page before it (`previous`: that page's
 * commit, true when it applied). This page's rows go in first, in a transaction of its own, while
 * the previous page's transaction finishes; its cursor, node state and status are written only
 * after that page committed and handed off, in the same transaction as its rows. So the database
 * inserts one page while the worker and the other connection finish the one before, and every
 * guarantee of a commit holds: if the previous page failed or did not apply, this one rolls back.
 */
export async function commitImportPage(deps: CommitPollsDeps, input: CommitInput, previous: Promise<boolean>): Promise<CommitResult> {
  // A new epoch's id is made by the transaction that starts it: nothing can be inserted ahead.
  if (input.epoch !== input.target.sync.epoch || input.readings.length === 0) {
    if (!(await previous)) return notApplied(input);
    const [result] = await commitPolls(deps, [input]);
    if (result!.status === 'rejected') throw result!.reason;
    return result!.value;
  }
  const rows = readingsToInsert(input, input.target.channelEpochId);
  const attempt = (mode: InsertMode) =>
    inTransaction(deps.db, async (tx) => {
      const inserted = await deps.commits.insertReadings(tx, rows, mode);
      if (!(await previous)) throw new RolledBack(notApplied(input));
      const [result] = await commitRound(deps, tx, [input], inserted);
      // Another poll moved the channel to a new epoch meanwhile: the rows inserted ahead go too.
      if (!result!.applied) throw new RolledBack(result!);
      return result!;
    });
  try {
    try {
      // A page's window was never stored before (see INSERT_NEW_SQL): the cheaper insert, usually.
      return await attempt('all-new');
    } catch (err) {
      // Some rows were stored after all (a poll of the channel outside this import): once more, skipping them.
      if (!isUniqueViolation(err)) throw err;
      return await attempt('skip-stored');
    }
  } catch (err) {
    if (err instanceof RolledBack) return err.result;
    throw err;
  }
}

/** Thrown inside a transaction to roll it back with a result to report, not a failure. */
class RolledBack extends Error {
  constructor(readonly result: CommitResult) {
    super('rolled back');
  }
}

function notApplied(input: CommitInput): CommitResult {
  return { inserted: 0, insertedRows: [], fromEntryId: null, toEntryId: null, applied: false, pendingEvaluation: null, channelEpochId: null, status: input.target.node.status, statusChanged: false };
}

function readingsToInsert(input: CommitInput, channelEpochId: number): ReadingToInsert[] {
  const { nodeChannelId } = input.target;
  return input.readings.map((r) => ({ channelEpochId, entryId: r.entryId, recordedAt: r.recordedAt, fields: r.raw, parsed: r.parsed, encoded: r.encoded, nodeChannelId }));
}

/**
 * One poll per channel. Lock order: sync rows, node_state rows, nodes rows, each in key order.
 * `preInserted`: the readings of a single input already inserted in this transaction (an import page).
 */
async function commitRound(deps: CommitPollsDeps, tx: Tx, inputs: CommitInput[], preInserted?: InsertedReading[]): Promise<CommitResult[]> {
  const locked = await deps.commits.lockSyncRows(tx, inputs.map((i) => i.target.nodeChannelId));
  // Another poll of the channel committed a different epoch meanwhile: let the next poll redo the work.
  const applies = inputs.map((i) => {
    const sync = locked.get(i.target.nodeChannelId);
    return sync !== undefined && sync.epoch === i.target.sync.epoch ? sync : undefined;
  });

  const rows: ReadingToInsert[] = [];
  const epochIds = new Map<CommitInput, number>();
  for (const [i, input] of inputs.entries()) {
    if (!applies[i] || input.readings.length === 0) continue;
    const { target } = input;
    // A clear starts a new epoch: its id is made in this transaction, with the epoch's first readings.
    const channelEpochId = input.epoch === target.sync.epoch ? target.channelEpochId : await deps.commits.channelEpochId(tx, target.nodeChannelId, input.epoch);
    epochIds.set(input, channelEpochId);
    // A loop, not push(...rows): spreading a large page's rows could overflow the call stack.
    if (!preInserted) for (const row of readingsToInsert(input, channelEpochId)) rows.push(row);
  }
  const inserted = preInserted ?? (await deps.commits.insertReadings(tx, rows));
  const insertedByChannel = new Map<string, InsertedReading[]>();
  for (const r of inserted) {
    const list = insertedByChannel.get(r.nodeChannelId);
    if (list) list.push(r);
    else insertedByChannel.set(r.nodeChannelId, [r]);
  }

  const updates: SyncUpdate[] = [];
  const stores = inputs.map((input, i) => {
    const sync = applies[i];
    if (!sync) return undefined;
    const mine = insertedByChannel.get(input.target.nodeChannelId) ?? [];
    const { update, store } = nextSyncState(input, sync, mine, epochIds.get(input) ?? null);
    updates.push(update);
    return store;
  });
  await deps.commits.updateSyncRows(tx, updates);

  const appliedInputs = inputs.filter((_, i) => applies[i]);
  const nodeIds = [...new Set(appliedInputs.map((i) => i.target.node.id))];
  await updateNodeStates(deps, tx, appliedInputs, insertedByChannel);
  // An import page's poll may have started minutes ago: the status is decided at the newest time.
  const now = inputs.reduce((t, i) => (i.now > t ? i.now : t), inputs[0]!.now);
  const changes = await refreshNodeStatuses(tx, deps.nodeStatus, nodeIds, now);
  await deps.commits.advanceLastSeen(tx, lastSeenOf(appliedInputs, insertedByChannel));

  return inputs.map((input, i): CommitResult => {
    const store = stores[i];
    if (!store) return notApplied(input);
    const change = changes.get(input.target.node.id);
    return { ...store, status: change?.status ?? input.target.node.status, statusChanged: change?.changed ?? false };
  });
}

/**
 * The channel's cursor after this commit: it only moves forward within an epoch. A pending (not yet
 * enqueued) evaluation range is widened rather than lost; after a clear only the new epoch counts.
 */
function nextSyncState(input: CommitInput, sync: LockedSync, inserted: InsertedReading[], channelEpochId: number | null) {
  // The cursor moves over every entry this poll read (stored now or before), but only up to the
  // last id ThingSpeak announced when the poll (or its import) began: a later request can bring a
  // higher id (written meanwhile, maybe back-dated) while lower new ids are still unread. Those
  // higher rows are stored; the cursor waits for the poll that reads the ids below them.
  const cap = input.remoteLastEntryId ?? Number.MAX_SAFE_INTEGER;
  let maxComplete: { entryId: number; recordedAt: Date } | null = null;
  for (const r of input.readings) if (r.entryId <= cap && (maxComplete === null || r.entryId > maxComplete.entryId)) maxComplete = r;
  let maxInserted: number | null = null;
  let minInserted: number | null = null;
  let lastEntryAt: Date | null = null;
  // Loops, not Math.max(...ids): spreading 150k+ ids (a first import) overflows the call stack.
  for (const r of inserted) {
    if (maxInserted === null || r.entryId > maxInserted) maxInserted = r.entryId;
    if (minInserted === null || r.entryId < minInserted) minInserted = r.entryId;
    if (lastEntryAt === null || r.recordedAt > lastEntryAt) lastEntryAt = r.recordedAt;
  }
  const maxId = maxInserted;
  const baseCursor = input.cleared ? 0 : sync.last_entry_id;
  const storedBefore = input.cleared ? 0 : Number(sync.stored_count);
  const evalFrom = input.cleared ? minInserted : minInserted === null ? sync.eval_from_entry_id : Math.min(minInserted, sync.eval_from_entry_id ?? minInserted);
  const evalTo = input.cleared ? maxId : maxId === null ? sync.eval_to_entry_id : Math.max(maxId, sync.eval_to_entry_id ?? maxId);
  const lastEntryId = Math.max(baseCursor, maxComplete?.entryId ?? 0);
  const update: SyncUpdate = {
    nodeChannelId: input.target.nodeChannelId,
    epoch: input.epoch,
    lastEntryId,
    lastEntryAt,
    // The cursor entry's time moves with the cursor (null: unknown, the stored times decide).
    cursorEntryAt: maxComplete !== null && maxComplete.entryId === lastEntryId ? maxComplete.recordedAt : null,
    remoteLastEntryId: input.remoteLastEntryId,
    storedCount: storedBefore + inserted.length,
    fetchedUntil: input.fetchedUntil,
    backfillUntil: input.backfillUntil,
    missingEntries: input.missingEntries,
    cleared: input.cleared,
    evalFromEntryId: evalFrom,
    evalToEntryId: evalTo,
    now: input.now,
  };
  const store = {
    inserted: inserted.length,
    insertedRows: inserted,
    fromEntryId: minInserted,
    toEntryId: maxId,
    applied: true as const,
    pendingEvaluation: evalFrom !== null && evalTo !== null ? { epoch: input.epoch, fromEntryId: evalFrom, toEntryId: evalTo } : null,
    channelEpochId,
  };
  return { update, store };
}

/** Folds each node's new readings (all its channels in this round) into its latest metrics. */
async function updateNodeStates(deps: CommitPollsDeps, tx: Tx, inputs: CommitInput[], inserted: Map<string, InsertedReading[]>): Promise<void> {
  const byNode = new Map<string, CommitInput[]>();
  for (const input of inputs) byNode.set(input.target.node.id, [...(byNode.get(input.target.node.id) ?? []), input]);
  const current = await deps.commits.lockNodeStates(tx, [...byNode.keys()]);
  const upserts: NodeStateUpsert[] = [];
  for (const [nodeId, nodeInputs] of byNode) {
    const prior = current.get(nodeId);
    let metrics = prior?.metrics ?? {};
    let lastReadingAt = prior?.last_reading_at ?? null;
    for (const input of nodeInputs) {
      const folded = foldMetrics(metrics, lastReadingAt, inserted.get(input.target.nodeChannelId) ?? [], input.target.fieldMapping);
      metrics = folded.metrics;
      lastReadingAt = folded.lastReadingAt;
    }
    const { target, now } = nodeInputs[0]!;
    const derived = deriveState(target.node, metrics, lastReadingAt);
    upserts.push({
      node_id: nodeId,
      last_reading_at: derived.lastReadingAt,
      metrics: derived.metrics,
      level_pct: derived.levelPct,
      volume_l: derived.volumeL,
      capacity_l: derived.capacityL,
      flow_rate: derived.flowRate,
      depth_m: derived.depthM,
      derivation_note: derived.note,
      online: isOnline(lastReadingAt, target.node.expectedIntervalS, now),
      updated_at: now,
    });
  }
  await deps.commits.upsertNodeStates(tx, upserts);
}

function lastSeenOf(inputs: CommitInput[], inserted: Map<string, InsertedReading[]>): Array<{ nodeId: string; at: Date }> {
  const latest = new Map<string, Date>();
  for (const input of inputs) {
    for (const r of inserted.get(input.target.nodeChannelId) ?? []) {
      const at = latest.get(input.target.node.id);
      if (!at || r.recordedAt > at) latest.set(input.target.node.id, r.recordedAt);
    }
  }
  return [...latest].map(([nodeId, at]) => ({ nodeId, at }));
}
