import type { Logger } from '../logger';
import { decryptSecret } from '../crypto/secret-box';
import { readKeyContext } from '../crypto/secret-contexts';
import type { SecretKeys } from '../crypto/secret-keyring';
import type { Producers } from '../queues/producers';
import type { LiveAudience, LiveEventPublisher } from '../events/live-events';
import type { ThingSpeakClient } from '../thingspeak/thingspeak.client';
import { ThingSpeakError } from '../thingspeak/thingspeak.client';
import type { FeedEntry } from '../thingspeak/feed';
import { parseFieldValue, type ParsedFieldValue } from '../thingspeak/field-value';
import { fetchWindow, MAX_RESULTS } from './fetch-window';
import type { PollRepository } from './poll.repository';
import type { CommitInput, CommitResult, CommittedPoll, NewReading, PollTarget } from './poll-types';
import { HISTORY_START, importHistory } from './import-history';
import type { Db } from '../db/knex';
import type { NodeStatusRepository } from '../nodes/node-status.repository';
import { createPollCommitRepository, type PollCommitRepository } from './poll-commit.repository';
import { unbatchedPolls, type PollBatches } from './poll-batches';

export interface PollDeps {
  db: Db;
  repo: PollRepository;
  nodeStatus: NodeStatusRepository;
  client: ThingSpeakClient;
  producers: Producers;
  encryptionKey: SecretKeys;
  overlapMs: number;
  /** Live events (TELEMETRY_UPDATE, STATUS_UPDATE) for WebSocket clients; none when absent. */
  events?: LiveEventPublisher;
  now?: () => Date;
  /** Page size; tests lower it to exercise window splitting cheaply. */
  maxResults?: number;
  /** The commit's SQL; built from `db` when absent. */
  commits?: PollCommitRepository;
  /** Shared with the other polls running in this process (workers); each poll on its own when absent. */
  batches?: PollBatches;
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

const FUTURE_SLACK_MS = 366 * 24 * 3600 * 1000;

const floorToSecond = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);

function toReading(e: FeedEntry): NewReading {
  const parsed: NewReading['parsed'] = {};
  // for...in, not Object.entries: no array per entry and field (a first import reads 8,000 a page).
  for (const field in e.fields) parsed[field] = statusOf(parseFieldValue(e.fields[field as keyof FeedEntry['fields']]));
  // The feed's own field texts (strings or null, as the feed parser built them) are the raw texts:
  // the entry is not used after this, so they are not copied.
  return { entryId: e.entryId, recordedAt: e.createdAt, raw: e.fields as Record<string, string | null>, parsed };
}

function statusOf(p: ParsedFieldValue): NewReading['parsed'][string] {
  return { value: p.value, status: p.status };
}

/**
 * One poll of one channel: one ThingSpeak request for everything since the last poll (its answer
 * also carries the channel's last entry id), more only to split a full page, recover a clear or
 * search history for back-dated entries. New entries are stored idempotently with the cursor in
 * one transaction (shared with other polls when batched), then handed to alerts.
 */
export async function pollChannel(deps: PollDeps, nodeChannelId: string, log: Logger): Promise<PollOutcome> {
  const now = deps.now ?? (() => new Date());
  const batches = deps.batches ?? unbatchedPolls({ db: deps.db, repo: deps.repo, commits: deps.commits ?? createPollCommitRepository(deps.db), nodeStatus: deps.nodeStatus, producers: deps.producers });
  const target = await batches.loadTarget(nodeChannelId);
  if (!target) return { outcome: 'skipped', reason: 'channel-not-found' };
  if (!target.channelActive || !target.node.active) return { outcome: 'skipped', reason: 'inactive' };

  const startedAt = now();
  try {
    return await fetchAndStore(deps, batches, target, startedAt, log);
  } catch (err) {
    if (err instanceof ThingSpeakError) {
      await deps.repo.recordFailure(nodeChannelId, err.code, err.message, startedAt);
    }
    throw err;
  }
}

async function fetchAndStore(deps: PollDeps, batches: PollBatches, target: PollTarget, startedAt: Date, log: Logger): Promise<PollOutcome> {
  const readKey = target.readKeyEncrypted ? decryptSecret(target.readKeyEncrypted, deps.encryptionKey, readKeyContext(target.nodeChannelId)) : undefined;
  const maxResults = deps.maxResults ?? MAX_RESULTS;
  const feed = (start: Date, end: Date) => deps.client.getFeed(target.channelId, { readKey, results: maxResults, start, end });
  const page = async (start: Date, end: Date) => (await feed(start, end)).entries;
  const commit = (input: Omit<CommitInput, 'now'>) => commitAndHandOff(deps, batches, { ...input, now: startedAt });
  const commitPage = (input: Omit<CommitInput, 'now'>, previous: Promise<boolean> | undefined) => commitAndHandOff(deps, batches, { ...input, now: startedAt }, previous);

  let epoch = target.sync.epoch;
  let cursor = target.sync.lastEntryId;
  const end = floorToSecond(new Date(startedAt.getTime() + FUTURE_SLACK_MS));
  const { fetchedUntil: fetchedFrom, backfillUntil } = target.sync;
  // The window since the last poll, an overlap earlier to cover clock skew; a first poll takes all
  // history and an interrupted import goes on with the older entries it had still to read.
  const windowStart = backfillUntil || !fetchedFrom ? HISTORY_START : floorToSecond(new Date(fetchedFrom.getTime() - deps.overlapMs));
  const windowEnd = backfillUntil ? floorToSecond(backfillUntil) : end;
  const first = await feed(windowStart, windowEnd);
  const remoteLast = first.channel.lastEntryId;

  // ThingSpeak restarts ids at 1 after a clear, so its last id falls behind our cursor.
  const cleared = cursor > 0 && (remoteLast === null || remoteLast < cursor);
  if (cleared) {
    epoch += 1;
    cursor = 0;
  }
  const importing = backfillUntil !== null || (fetchedFrom === null && cursor === 0);
  if (remoteLast !== null && (cleared || importing)) {
    const resumed = backfillUntil !== null && !cleared;
    // More than one page (a clear is read from the start again): it waits for a paged-import slot.
    const paged = cleared || first.entries.length >= maxResults;
    const run = (): ReturnType<typeof importHistory> => importHistory({
      target,
      epoch,
      cleared,
      // A resumed import completes what ThingSpeak held when it began; later entries are the next poll's.
      remoteLast: resumed ? (target.sync.remoteLastEntryId ?? remoteLast) : remoteLast,
      upTo: resumed ? windowEnd : end,
      importStartedAt: resumed ? (fetchedFrom ?? startedAt) : startedAt,
      // After a clear the whole new epoch is read from the start of history: the window asked was the steady one.
      firstAnswer: cleared ? undefined : first.entries,
      maxResults,
      resumed,
      page,
      toReading,
      commit: commitPage,
      log,
    });
    const imported = paged ? await batches.pagedImport(run) : await run();
    return polledOutcome(imported.last, { inserted: imported.inserted, epoch, cleared, remoteLast, missingEntries: imported.missingEntries, evaluationEnqueued: imported.evaluationEnqueued }, log, target);
  }

  let readings: NewReading[] = [];
  let missingEntries = 0;
  if (remoteLast !== null && remoteLast > cursor) {
    const entries = first.entries.length < maxResults ? first.entries : await fetchWindow(page, windowStart, end, maxResults);
    if (cursor > 0 && (await refilledPastCursor(deps, target, entries))) {
      // The channel was cleared and refilled past our cursor between two polls: a new epoch, read from the start.
      log.warn({ channelId: target.channelId, epoch: epoch + 1 }, 'channel was cleared on ThingSpeak: new epoch started');
      const imported = await batches.pagedImport(() => importHistory({
        target,
        epoch: epoch + 1,
        cleared: true,
        remoteLast,
        upTo: end,
        importStartedAt: startedAt,
        maxResults,
        resumed: false,
        page,
        toReading,
        commit: commitPage,
        log,
      }));
      return polledOutcome(imported.last, { inserted: imported.inserted, epoch: epoch + 1, cleared: true, remoteLast, missingEntries: imported.missingEntries, evaluationEnqueued: imported.evaluationEnqueued }, log, target);
    }

    const fresh = new Map<number, FeedEntry>();
    for (const e of entries) if (e.entryId > cursor) fresh.set(e.entryId, e);

    const missing = countMissing(fresh, cursor, remoteLast);
    if (missing > 0) {
      // Back-dated entries can carry any time: search the whole plausible history once.
      log.info({ channelId: target.channelId, missing }, 'entries outside the window: searching channel history');
      for (const e of await fetchWindow(page, HISTORY_START, end, maxResults)) if (e.entryId > cursor) fresh.set(e.entryId, e);
      missingEntries = countMissing(fresh, cursor, remoteLast);
      if (missingEntries > 0) log.warn({ channelId: target.channelId, missingEntries }, 'entries announced by ThingSpeak were not served');
    }
    readings = [...fresh.values()].map(toReading);
  }

  const result = await commit({
    target,
    epoch,
    cleared,
    readings,
    remoteLastEntryId: remoteLast,
    // Everything written before startedAt has been seen; the next window starts an overlap earlier
    // to cover clock skew between us and ThingSpeak.
    fetchedUntil: remoteLast === null ? null : startedAt,
    backfillUntil: null,
    missingEntries,
  });
  if (cleared) log.warn({ channelId: target.channelId, epoch }, 'channel was cleared on ThingSpeak: new epoch started');
  return polledOutcome(result, { inserted: result.inserted, epoch, cleared, remoteLast, missingEntries }, log, target);
}

/** Commits (an import page: overlapped with `previousPage`), tells live clients what changed, and hands the new readings to alerts. */
async function commitAndHandOff(deps: PollDeps, batches: PollBatches, input: CommitInput, previousPage?: Promise<boolean>): Promise<CommittedPoll> {
  const result = previousPage ? await batches.commitImportPage(input, previousPage) : await batches.commit(input);
  await publishLiveEvents(deps, input.target, result);
  if (!result.pendingEvaluation) return { ...result, evaluationEnqueued: false };
  await batches.handOff({ target: input.target, pending: result.pendingEvaluation });
  return { ...result, evaluationEnqueued: true };
}

function polledOutcome(
  result: CommittedPoll,
  facts: { inserted: number; epoch: number; cleared: boolean; remoteLast: number | null; missingEntries: number; evaluationEnqueued?: boolean },
  log: Logger,
  target: PollTarget,
): PollOutcome {
  log.debug({ channelId: target.channelId, inserted: facts.inserted, epoch: facts.epoch, remoteLast: facts.remoteLast, status: result.status }, 'channel polled');
  return {
    outcome: 'polled',
    inserted: facts.inserted,
    epoch: facts.epoch,
    cleared: facts.cleared,
    remoteLastEntryId: facts.remoteLast,
    missingEntries: facts.missingEntries,
    status: result.status,
    statusChanged: result.statusChanged,
    evaluationEnqueued: facts.evaluationEnqueued ?? result.evaluationEnqueued,
  };
}

/**
 * Entries at or below the cursor that carry another time than when we stored them: the channel was
 * cleared and refilled past our cursor between two polls. The cursor entry's stored time decides
 * without a query; only when the window does not hold it are the stored times looked up.
 */
async function refilledPastCursor(deps: PollDeps, target: PollTarget, entries: FeedEntry[]): Promise<boolean> {
  const { lastEntryId: cursor, cursorEntryAt, epoch } = target.sync;
  const seen = entries.filter((e) => e.entryId <= cursor);
  if (seen.length === 0) return false;
  const atCursor = seen.find((e) => e.entryId === cursor);
  if (atCursor && cursorEntryAt) return atCursor.createdAt.getTime() !== cursorEntryAt.getTime();
  const stored = await deps.repo.storedTimes(target.nodeChannelId, epoch, seen.map((e) => e.entryId));
  return seen.some((e) => stored.has(e.entryId) && stored.get(e.entryId) !== e.createdAt.getTime());
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
