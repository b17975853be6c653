import type { StoredReading } from '../alerts/sample-metrics';

/** A stored reading with the field mapping of the channel it came from. */
export interface MappedReading extends StoredReading {
  mapping: Record<string, string>;
}

/** One epoch of one of a node's channels: what readings point at, with that channel's field mapping. */
export interface NodeEpoch {
  channelEpochId: number;
  mapping: Record<string, string>;
}
