import { PAGED_IMPORTS_AT_ONCE, POLL_BATCHES_IN_FLIGHT } from '../queues/worker-sizing';
import { createMicroBatcher } from '../batching/micro-batcher';
import { createSemaphore } from '../batching/semaphore';
import type { Producers } from '../queues/producers';
import { commitImportPage, commitPolls, type CommitPollsDeps } from './commit-polls';
import type { PollRepository } from './poll.repository';
import type { CommitInput, CommitResult, PendingEvaluation, PollTarget } from './poll-types';

export interface EvaluationHandOff {
  target: PollTarget;
  pending: PendingEvaluation;
}

/**
 * The three places a poll touches shared stores, each shared by the polls running at the same time
 * in this process: target reads, commits and evaluation hand-offs go out as one statement (or one
 * Redis round trip) per batch instead of one per poll.
 */
export interface PollBatches {
  loadTarget(nodeChannelId: string): Promise<PollTarget | undefined>;
  commit(input: CommitInput): Promise<CommitResult>;
  /**
   * One page of a paged import, in a transaction of its own (a page is a batch by itself) that
   * inserts while `previous`, the page before, finishes: see commitImportPage.
   */
  commitImportPage(input: CommitInput, previous: Promise<boolean>): Promise<CommitResult>;
  handOff(item: EvaluationHandOff): Promise<void>;
  /**
   * Runs a history import that takes more than one page. Each holds up to four pages (~8,000
   * entries each) while it runs, so the process caps how many run at once: onboarding a whole
   * community of long-lived channels must not need gigabytes, nor one commit carry a million rows.
   */
  pagedImport<T>(work: () => Promise<T>): Promise<T>;
}

export interface PollBatchDeps extends CommitPollsDeps {
  repo: Pick<PollRepository, 'loadTargets' | 'clearPendingEvaluations'>;
  producers: Pick<Producers, 'enqueueEvaluations'>;
}

export interface PollBatchOptions {
  /** Polls per commit transaction at most. */
  maxItems: number;
  /** Batches of each kind in flight at once: enough to overlap one batch's commit with the next one's build. */
  maxInFlight: number;
  /** Paged history imports at once. */
  maxImports: number;
}

export const DEFAULT_POLL_BATCHING: PollBatchOptions = { maxItems: 200, maxInFlight: POLL_BATCHES_IN_FLIGHT, maxImports: PAGED_IMPORTS_AT_ONCE };

async function settle<T>(items: unknown[], work: Promise<T[]>): Promise<Array<PromiseSettledResult<T>>> {
  try {
    return (await work).map((value) => ({ status: 'fulfilled', value }));
  } catch (reason) {
    return items.map(() => ({ status: 'rejected', reason }));
  }
}

export function createPollBatches(deps: PollBatchDeps, opts: PollBatchOptions = DEFAULT_POLL_BATCHING): PollBatches {
  const imports = createSemaphore(opts.maxImports);
  const targets = createMicroBatcher<string, PollTarget | undefined>({
    ...opts,
    name: 'load poll targets',
    run: (ids) => settle(ids, deps.repo.loadTargets(ids).then((found) => ids.map((id) => found.get(id)))),
  });
  const commits = createMicroBatcher<CommitInput, CommitResult>({ ...opts, name: 'commit polls', run: (inputs) => commitPolls(deps, inputs) });
  const handOffs = createMicroBatcher<EvaluationHandOff, void>({ ...opts, name: 'hand off evaluations', run: (items) => settle(items, handOffEvaluations(deps, items)) });
  return {
    loadTarget: (id) => targets.submit(id),
    commit: (input) => commits.submit(input),
    commitImportPage: (input, previous) => commitImportPage(deps, input, previous),
    handOff: (item) => handOffs.submit(item),
    pagedImport: (work) => imports.run(work),
  };
}

/** The same steps without sharing: each call is its own statement (tests, one-off polls). */
export function unbatchedPolls(deps: PollBatchDeps): PollBatches {
  return {
    loadTarget: async (id) => (await deps.repo.loadTargets([id])).get(id),
    async commit(input) {
      const [result] = await commitPolls(deps, [input]);
      if (result!.status === 'rejected') throw result!.reason;
      return result!.value;
    },
    commitImportPage: (input, previous) => commitImportPage(deps, input, previous),
    handOff: async (item) => void (await handOffEvaluations(deps, [item])),
    pagedImport: (work) => work(),
  };
}

/**
 * The outbox step: each commit recorded which entries still need evaluating; enqueue those jobs
 * (deterministic ids, so a repeat adds nothing) and only then clear the records. A crash or a Redis
 * failure between the two is repaired by the channel's next poll, which finds the record.
 */
async function handOffEvaluations(deps: PollBatchDeps, items: EvaluationHandOff[]): Promise<void[]> {
  await deps.producers.enqueueEvaluations(items.map(({ target, pending }) => ({ nodeId: target.node.id, nodeChannelId: target.nodeChannelId, ...pending })));
  await deps.repo.clearPendingEvaluations(items.map(({ target, pending }) => ({ nodeChannelId: target.nodeChannelId, epoch: pending.epoch, toEntryId: pending.toEntryId })));
  return items.map(() => undefined);
}
