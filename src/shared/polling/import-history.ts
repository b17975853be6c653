import type { Logger } from '../logger';
import type { FeedEntry } from '../thingspeak/feed';
import { encodeForStorage } from '../readings/reading-codec';
import { newestFirstPages, type FetchPage, type WindowPage } from './fetch-window';
import type { CommitInput, CommittedPoll, PollTarget } from './poll-types';

export interface ImportRun {
  target: PollTarget;
  epoch: number;
  /** True when this import starts a new epoch (the channel was cleared). */
  cleared: boolean;
  remoteLast: number;
  /** The pages read [start of history, upTo], newest first: the poll's end, or where a crashed import stopped. */
  upTo: Date;
  /** Where the next ordinary poll starts (an overlap before): when this import, or the one it resumes, began. */
  importStartedAt: Date;
  maxResults: number;
  /** ThingSpeak's answer for [start of history, upTo], when the poll already asked. */
  firstAnswer?: FeedEntry[];
  /** True when earlier pages of this import were committed by a previous poll. */
  resumed: boolean;
  page: FetchPage;
  toReading(e: FeedEntry): CommitInput['readings'][number];
  /**
   * Commits a page. `previous`, the page before's commit (true: applied), lets it insert while that
   * one finishes; the first of several pages gets one already settled. Without it (an import of
   * one page) the page commits like any poll, batched with others.
   */
  commit(input: Omit<CommitInput, 'now'>, previous: Promise<boolean> | undefined): Promise<CommittedPoll>;
  log: Logger;
}

/** A fetched page down to what its commit needs: the feed's entries are not kept (up to four pages are held at once). */
interface PreparedPage {
  /** The window's start: the import's progress once the page commits. */
  start: Date;
  /** Entries at or below the last id ThingSpeak announced: what a final gap count compares with. */
  announced: number;
  readings: CommitInput['readings'];
}

/** Back-dated entries can carry any time: an import reads from here. */
export const HISTORY_START = new Date('2000-01-01T00:00:00Z');

export interface ImportOutcome {
  inserted: number;
  missingEntries: number;
  last: CommittedPoll;
  pages: number;
  evaluationEnqueued: boolean;
}

/**
 * Imports a channel's history page by page, newest first, each page committed with the import's
 * progress (`backfill_until`: entries created up to it are still to be read), so memory stays flat
 * for a channel of any size and a crash resumes at the last committed page. While a page commits,
 * the next one is fetched, and the one after it already inserts its rows. Every entry of the epoch counts as new: entry ids are not in time order
 * (back-dated writes), so the cursor cannot filter mid-import; the primary key drops what an earlier
 * attempt stored. The last page also completes the import (the ordinary cursor takes over), and the
 * next poll starts from when the import began, so entries written meanwhile are not skipped.
 */
export async function importHistory(run: ImportRun): Promise<ImportOutcome> {
  let target = run.target;
  let pending: PreparedPage | undefined;
  let inserted = 0;
  let seen = 0;
  let pages = 0;
  let last: CommittedPoll | undefined;
  let evaluationEnqueued = false;
  let missing = 0;

  // A page's readings are worked out, down to their stored form, as soon as it arrives: while the
  // previous page's transaction runs on the database, not inside the next one.
  const prepare = (page: WindowPage): PreparedPage => {
    let announced = 0;
    const readings = page.entries.map((e) => {
      if (e.entryId <= run.remoteLast) announced += 1;
      // toReading's object is this page's own: given its stored form in place, not copied (GC).
      const reading = run.toReading(e);
      reading.encoded = encodeForStorage(reading.raw, reading.parsed);
      return reading;
    });
    return { start: page.start, announced, readings };
  };

  const commitPage = async ({ start, announced, readings }: PreparedPage, final: boolean, previous: Promise<boolean> | undefined) => {
    seen += announced;
    // A resumed import cannot count what earlier attempts stored, so it reports no gap.
    const missingEntries = final && !run.resumed ? Math.max(0, run.remoteLast - seen) : 0;
    // Until the first page of a clear has committed, the new epoch has no id to insert under, and
    // whether this page is that first one is not known: wait for the page before.
    if (previous && target.sync.epoch !== run.epoch && !(await previous)) return false;
    const result = await run.commit(
      {
        target,
        epoch: run.epoch,
        cleared: run.cleared && pages === 0,
        readings,
        remoteLastEntryId: run.remoteLast,
        fetchedUntil: run.importStartedAt,
        backfillUntil: final ? null : new Date(start.getTime() - 1000),
        missingEntries,
      },
      previous,
    );
    last = result;
    evaluationEnqueued ||= result.evaluationEnqueued;
    // Another poll of the channel committed a different epoch meanwhile: it owns the import now.
    if (!result.applied) return false;
    pages += 1;
    inserted += result.inserted;
    missing = missingEntries;
    // The next page commits on top of this one: same epoch from here on.
    target = { ...target, channelEpochId: result.channelEpochId ?? target.channelEpochId, sync: { ...target.sync, epoch: run.epoch } };
    if (final && missingEntries > 0) run.log.warn({ channelId: target.channelId, missingEntries }, 'entries announced by ThingSpeak were not served');
    return true;
  };

  // Two pages' commits overlap: the newer one inserts while the older one writes its cursor,
  // commits and hands off (commitImportPage); a third waits for the older one to finish.
  let older: Promise<boolean> = Promise.resolve(true);
  let newer: Promise<boolean> | undefined;
  const startCommit = (prepared: PreparedPage, final: boolean) => {
    // The first of several pages takes the import-page path too (its own transaction, the cheap
    // insert) with nothing before it; an import of one page commits like any poll, batched.
    const started = commitPage(prepared, final, newer ?? (final ? undefined : Promise.resolve(true)));
    started.catch(() => undefined); // awaited later; until then a failure is not "unhandled"
    older = newer ?? older;
    newer = started;
  };
  const stopped = (): ImportOutcome => ({ inserted, missingEntries: 0, last: last!, pages, evaluationEnqueued });

  const source = newestFirstPages(run.page, HISTORY_START, run.upTo, run.maxResults, run.firstAnswer);
  try {
    for await (const page of source) {
      const prepared = prepare(page);
      if (pending) {
        if (!(await older)) return stopped();
        // Not awaited here: the loop fetches the next page while this one commits.
        startCommit(pending, false);
      }
      pending = prepared;
    }
  } finally {
    // A fetch that failed must not leave a commit running after the poll (and its channel lock) ended.
    await Promise.all([older.catch(() => undefined), newer?.catch(() => undefined)]);
  }
  if (!(await older)) return stopped();
  // An import resumed below the start of history has nothing left to read: only the completion to commit.
  startCommit(pending ?? { start: HISTORY_START, announced: 0, readings: [] }, true);
  if (!(await older)) return stopped();
  await newer;
  if (pages > 1) run.log.info({ channelId: target.channelId, pages, inserted }, 'channel history imported page by page');
  return { inserted, missingEntries: missing, last: last!, pages, evaluationEnqueued };
}
