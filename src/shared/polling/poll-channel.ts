import type { Logger } from '../logger';
import { decryptSecret } from '../crypto/secret-box';
import type { Producers } from '../queues/producers';
import type { LiveAudience, LiveEventPublisher } from '../events/live-events';
import type { ThingSpeakClient } from '../thingspeak/thingspeak.client';
import { ThingSpeakError } from '../thingspeak/thingspeak.client';
import type { FeedEntry } from '../thingspeak/feed';
import { parseFieldValue } from '../thingspeak/field-value';
import { fetchWindow, MAX_RESULTS } from './fetch-window';
import type { CommitInput, NewReading, PollRepository, PollTarget, StoreResult } from './poll.repository';
import type { Db } from '../db/knex';
import { inTransaction } from '../db/transaction';
import { refreshNodeStatus, type NodeStatusChange } from '../nodes/node-status';
import type { NodeStatusRepository } from '../nodes/node-status.repository';

export interface PollDeps {
  db: Db;
  repo: PollRepository;
  nodeStatus: NodeStatusRepository;
  client: ThingSpeakClient;
  producers: Producers;
  encryptionKey: Buffer;
  overlapMs: number;
  /** Live events (TELEMETRY_UPDATE, STATUS_UPDATE) for WebSocket clients; none when absent. */
  events?: LiveEventPublisher;
  now?: () => Date;
  /** Page size; tests lower it to exercise window splitting cheaply. */
  maxResults?: number;
}

export type PollOutcome =
  | { outcome: 'skipped'; reason: 'channel-not-found' | 'inactive' }
  | {
      outcome: 'polled';
      inserted: number;
      epoch: number;
      cleared: boolean;
      remoteLastEntryId: number | null;
      missingEntries: number;
      status: string;
      statusChanged: boolean;
      evaluationEnqueued: boolean;
    };

// Back-dated entries can carry any time; when ids are missing after the normal window, the
// whole plausible history is searched once.
const HISTORY_START = new Date('2000-01-01T00:00:00Z');
const FUTURE_SLACK_MS = 366 * 24 * 3600 * 1000;

const floorToSecond = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);

function toReading(e: FeedEntry): NewReading {
  const raw: Record<string, string | null> = {};
  const parsed: NewReading['parsed'] = {};
  for (const [field, value] of Object.entries(e.fields)) {
    raw[field] = value ?? null;
    const p = parseFieldValue(value);
    parsed[field] = { value: p.value, status: p.status };
  }
  return { entryId: e.entryId, recordedAt: e.createdAt, raw, parsed };
}

/**
 * One poll of one channel: ask ThingSpeak for its last entry id, fetch only what is new since the
 * cursor (splitting windows that come back full, searching history for back-dated entries),
 * store it idempotently with the cursor in one transaction, then hand new readings to alerts.
 */
export async function pollChannel(deps: PollDeps, nodeChannelId: string, log: Logger): Promise<PollOutcome> {
  const now = deps.now ?? (() => new Date());
  const target = await deps.repo.loadTarget(nodeChannelId);
  if (!target) return { outcome: 'skipped', reason: 'channel-not-found' };
  if (!target.channelActive || !target.node.active) return { outcome: 'skipped', reason: 'inactive' };

  const startedAt = now();
  try {
    return await fetchAndStore(deps, target, startedAt, log);
  } catch (err) {
    if (err instanceof ThingSpeakError) {
      await deps.repo.recordFailure(nodeChannelId, err.code, err.message, startedAt);
    }
    throw err;
  }
}

async function fetchAndStore(deps: PollDeps, target: PollTarget, startedAt: Date, log: Logger): Promise<PollOutcome> {
  const readKey = target.readKeyEncrypted ? decryptSecret(target.readKeyEncrypted, deps.encryptionKey) : undefined;
  const maxResults = deps.maxResults ?? MAX_RESULTS;
  const page = async (start: Date, end: Date) => (await deps.client.getFeed(target.channelId, { readKey, results: maxResults, start, end })).entries;

  const head = await deps.client.getFeed(target.channelId, { readKey, results: 0 });
  const remoteLast = head.channel.lastEntryId;
  let epoch = target.sync.epoch;
  let cursor = target.sync.lastEntryId;
  let fetchedFrom: Date | null = target.sync.fetchedUntil;
  // ThingSpeak restarts ids at 1 after a clear, so its last id falls behind our cursor.
  let cleared = cursor > 0 && (remoteLast === null || remoteLast < cursor);
  if (cleared) {
    epoch += 1;
    cursor = 0;
    fetchedFrom = null;
  }

  const end = floorToSecond(new Date(startedAt.getTime() + FUTURE_SLACK_MS));
  let readings: NewReading[] = [];
  let missingEntries = 0;
  if (remoteLast !== null && remoteLast > cursor) {
    const channelStart = head.channel.createdAt ? new Date(head.channel.createdAt.getTime() - 24 * 3600 * 1000) : HISTORY_START;
    const start = floorToSecond(fetchedFrom ? new Date(fetchedFrom.getTime() - deps.overlapMs) : channelStart);
    let entries = await fetchWindow(page, start, end, maxResults);

    if (!cleared && cursor > 0) {
      // Entries at or below the cursor that we stored with another time: the channel was cleared and
      // refilled past our cursor between two polls. Start a new epoch and take everything.
      const seen = entries.filter((e) => e.entryId <= cursor);
      const stored = await deps.repo.storedTimes(target.nodeChannelId, epoch, seen.map((e) => e.entryId));
      if (seen.some((e) => stored.has(e.entryId) && stored.get(e.entryId) !== e.createdAt.getTime())) {
        cleared = true;
        epoch += 1;
        cursor = 0;
        entries = await fetchWindow(page, floorToSecond(channelStart), end, maxResults);
      }
    }

    const fresh = new Map<number, FeedEntry>();
    for (const e of entries) if (e.entryId > cursor) fresh.set(e.entryId, e);
    const missing = countMissing(fresh, cursor, remoteLast);
    if (missing > 0) {
      log.info({ channelId: target.channelId, missing }, 'entries outside the window: searching channel history');
      for (const e of await fetchWindow(page, HISTORY_START, end, maxResults)) if (e.entryId > cursor) fresh.set(e.entryId, e);
      missingEntries = countMissing(fresh, cursor, remoteLast);
      if (missingEntries > 0) log.warn({ channelId: target.channelId, missingEntries }, 'entries announced by ThingSpeak were not served');
    }
    readings = [...fresh.values()].map(toReading);
  }

  const result = await commitPoll(deps, {
    target,
    epoch,
    cleared,
    readings,
    remoteLastEntryId: remoteLast,
    // Everything written before startedAt has been seen; the next window starts an overlap earlier
    // to cover clock skew between us and ThingSpeak.
    fetchedUntil: remoteLast === null ? null : startedAt,
    missingEntries,
    now: startedAt,
  });
  if (cleared) log.warn({ channelId: target.channelId, epoch }, 'channel was cleared on ThingSpeak: new epoch started');
  await publishLiveEvents(deps, target, result);

  const evaluationEnqueued = result.pendingEvaluation ? await enqueueEvaluation(deps, target, result.pendingEvaluation) : false;
  log.info({ channelId: target.channelId, inserted: result.inserted, epoch, remoteLast, status: result.status }, 'channel polled');
  return {
    outcome: 'polled',
    inserted: result.inserted,
    epoch,
    cleared,
    remoteLastEntryId: remoteLast,
    missingEntries,
    status: result.status,
    statusChanged: result.statusChanged,
    evaluationEnqueued,
  };
}

type CommitResult = StoreResult & { status: NodeStatusChange['status']; statusChanged: boolean };

/**
 * One transaction: readings and cursor (the channel's sync row is locked first), then the node's
 * derived state, then its status through the one status writer. Lock order: sync row, node_state, nodes.
 */
async function commitPoll(deps: PollDeps, input: CommitInput): Promise<CommitResult> {
  const { target, now } = input;
  return inTransaction(deps.db, async (tx) => {
    const stored = await deps.repo.storeReadings(tx, input);
    if (!stored.applied) return { ...stored, status: target.node.status, statusChanged: false };
    await deps.repo.updateNodeState(tx, target, stored.insertedRows, now);
    const change = await refreshNodeStatus(tx, deps.nodeStatus, target.node.id, now);
    return { ...stored, status: change?.status ?? target.node.status, statusChanged: change?.changed ?? false };
  });
}

/** Tells live clients what this commit changed; best effort, never fails the poll. */
async function publishLiveEvents(deps: PollDeps, target: PollTarget, result: CommitResult): Promise<void> {
  if (!deps.events || !result.applied) return;
  const audience: LiveAudience = { kind: 'community', communityId: target.node.communityId, distributorId: target.node.distributorId };
  if (result.inserted > 0) await deps.events.publish('TELEMETRY_UPDATE', audience, { node_id: target.node.id, readings_count: result.inserted });
  if (result.statusChanged) await deps.events.publish('STATUS_UPDATE', audience, { node_id: target.node.id, status: result.status });
}

function countMissing(fresh: Map<number, FeedEntry>, cursor: number, remoteLast: number): number {
  let missing = 0;
  for (let id = cursor + 1; id <= remoteLast; id++) if (!fresh.has(id)) missing++;
  return missing;
}

/**
 * The outbox step: the commit recorded which entries still need evaluating; enqueue that job
 * (deterministic id, so a repeat adds nothing) and only then clear the record. A crash or a Redis
 * failure between the two is repaired by the next poll of the channel, which finds the record.
 */
async function enqueueEvaluation(deps: PollDeps, target: PollTarget, pending: { epoch: number; fromEntryId: number; toEntryId: number }): Promise<boolean> {
  await deps.producers.enqueueEvaluation({ nodeId: target.node.id, nodeChannelId: target.nodeChannelId, ...pending });
  await deps.repo.clearPendingEvaluation(target.nodeChannelId, pending.epoch, pending.toEntryId);
  return true;
}
