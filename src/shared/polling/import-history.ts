import type { Logger } from '../logger';
import type { FeedEntry } from '../thingspeak/feed';
import { windowPages, type FetchPage, type WindowPage } from './fetch-window';
import type { CommitInput, CommittedPoll, PollTarget } from './poll-types';

export interface ImportRun {
  target: PollTarget;
  epoch: number;
  /** True when this import starts a new epoch (the channel was cleared). */
  cleared: boolean;
  remoteLast: number;
  /** Where the pages start: the start of history, or where a crashed import stopped. */
  from: Date;
  end: Date;
  startedAt: Date;
  maxResults: number;
  /** The first answer, when it already holds every entry of [from, end]. */
  complete?: WindowPage;
  /** True when earlier pages of this import were committed by a previous poll. */
  resumed: boolean;
  page: FetchPage;
  toReading(e: FeedEntry): CommitInput['readings'][number];
  commit(input: Omit<CommitInput, 'now'>): Promise<CommittedPoll>;
  log: Logger;
}

export interface ImportOutcome {
  inserted: number;
  missingEntries: number;
  last: CommittedPoll;
  pages: number;
  evaluationEnqueued: boolean;
}

/**
 * Imports a channel's history page by page, oldest window first, each page committed with the
 * import's progress (`backfill_until`), so memory stays flat for a channel of any size and a crash
 * resumes at the last committed page. Every entry of the epoch counts as new: entry ids are not in
 * time order (back-dated writes), so the cursor cannot filter mid-import; the unique key drops what
 * an earlier attempt stored. The last page also completes the import (the ordinary cursor takes over).
 */
export async function importHistory(run: ImportRun): Promise<ImportOutcome> {
  let target = run.target;
  let pending: WindowPage | undefined;
  let inserted = 0;
  let seen = 0;
  let pages = 0;
  let last: CommittedPoll | undefined;
  let evaluationEnqueued = false;
  let missing = 0;

  const commitPage = async (page: WindowPage, final: boolean) => {
    const readings = page.entries.map(run.toReading);
    for (const e of page.entries) if (e.entryId <= run.remoteLast) seen += 1;
    // A resumed import cannot count what earlier attempts stored, so it reports no gap.
    const missingEntries = final && !run.resumed ? Math.max(0, run.remoteLast - seen) : 0;
    const result = await run.commit({
      target,
      epoch: run.epoch,
      cleared: run.cleared && pages === 0,
      readings,
      remoteLastEntryId: run.remoteLast,
      fetchedUntil: final ? run.startedAt : null,
      backfillUntil: final ? null : page.end,
      missingEntries,
    });
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

  const source = run.complete ? oneShot(run.complete) : windowPages(run.page, run.from, run.end, run.maxResults);
  for await (const page of source) {
    // Empty windows (the years before a channel existed) cost a request, not a transaction.
    if (pending && pending.entries.length > 0 && !(await commitPage(pending, false))) return { inserted, missingEntries: 0, last: last!, pages, evaluationEnqueued };
    pending = page;
  }
  await commitPage(pending!, true);
  if (pages > 1) run.log.info({ channelId: target.channelId, pages, inserted }, 'channel history imported page by page');
  return { inserted, missingEntries: missing, last: last!, pages, evaluationEnqueued };
}

async function* oneShot(page: WindowPage): AsyncGenerator<WindowPage> {
  yield page;
}
