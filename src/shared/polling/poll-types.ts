import type { AnalyticsType, NodeConfig, NodeStatus } from '../nodes/node';
import type { ParsedReading } from '../nodes/node-state';
import type { ParsedFieldValue } from '../thingspeak/field-value';
import type { EncodedReading } from '../readings/reading-codec';

/** Everything a poll needs to know about one channel, loaded before ThingSpeak is asked. */
export interface PollTarget {
  nodeChannelId: string;
  /** The current epoch's id in channel_epochs (sync.epoch): what its readings point at. */
  channelEpochId: number;
  channelId: number;
  readKeyEncrypted: string | null;
  fieldMapping: Record<string, string>;
  channelActive: boolean;
  node: {
    id: string;
    analyticsType: AnalyticsType;
    config: NodeConfig;
    expectedIntervalS: number;
    status: NodeStatus;
    active: boolean;
    /** Who may see the node's live events. */
    communityId: string;
    distributorId: string | null;
  };
  sync: {
    epoch: number;
    lastEntryId: number;
    /** created_at of the entry the cursor points at: tells a clear-and-refill apart without reading stored rows. */
    cursorEntryAt: Date | null;
    fetchedUntil: Date | null;
    /** Set while a large history is being imported: entries created up to it are still to be read. */
    backfillUntil: Date | null;
    /** ThingSpeak's last entry id as of the last commit; during an import, as of when it began. */
    remoteLastEntryId: number | null;
    evalFromEntryId: number | null;
    evalToEntryId: number | null;
  };
}

export interface NewReading {
  entryId: number;
  recordedAt: Date;
  raw: Record<string, string | null>;
  parsed: Record<string, Pick<ParsedFieldValue, 'value' | 'status'>>;
  /** The stored form of the fields, when worked out before the commit (an import's next page). */
  encoded?: EncodedReading;
}

/** What one poll hands to the commit: its readings and where its cursor moves. */
export interface CommitInput {
  target: PollTarget;
  /** Epoch the readings belong to (target.sync.epoch + 1 when the channel was found cleared). */
  epoch: number;
  cleared: boolean;
  readings: NewReading[];
  remoteLastEntryId: number | null;
  fetchedUntil: Date | null;
  /** Import progress to record; null once the import is complete (or for an ordinary poll). */
  backfillUntil: Date | null;
  missingEntries: number;
  now: Date;
}

export interface PendingEvaluation {
  epoch: number;
  fromEntryId: number;
  toEntryId: number;
}

export interface StoreResult {
  inserted: number;
  /** The readings this commit inserted (rows already stored are not among them). */
  insertedRows: ParsedReading[];
  fromEntryId: number | null;
  toEntryId: number | null;
  /** false when another poll moved the cursor first; nothing was written. */
  applied: boolean;
  /** The evaluation range left in the outbox by this commit (and any earlier unsent one). */
  pendingEvaluation: PendingEvaluation | null;
  /** The channel_epochs id this commit's readings went to; null when it carried none. */
  channelEpochId: number | null;
}

export type CommitResult = StoreResult & { status: NodeStatus; statusChanged: boolean };

/** A commit as the poll saw it: stored, told to live clients, and handed to alerts when it had new readings. */
export type CommittedPoll = CommitResult & { evaluationEnqueued: boolean };
