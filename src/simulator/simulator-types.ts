import type { FieldKey } from '../shared/thingspeak/feed';
import type { ChannelKind, SimChannel, SimEntry, SimFields } from './channel-store';
import type { Fault, FaultTarget } from './faults';
import type { SimulatorStats } from './request-stats';

/**
 * The simulator's public shape, in its own module so that control-api.ts (which drives a
 * simulator) and thingspeak-simulator.ts (which builds one and mounts the control API) do not
 * import each other.
 */
export interface ChannelSpec {
  id: number;
  name?: string;
  /** Makes the channel private: reads need `api_key=<readKey>`. */
  readKey?: string;
  /** Field labels; default: the labels of `kind`. */
  fields?: Partial<Record<FieldKey, string>>;
  createdAt?: Date;
  /** Artificial delay of every read of this channel, to make overlapping polls observable. */
  latencyMs?: number;
  /** What appendGenerated and the generator write; default 'tank'. */
  kind?: ChannelKind;
}

export interface NewEntry {
  /** Default: now. Back- and future-dated values are kept as given (to the second). */
  createdAt?: Date;
  fields: SimFields;
}

export interface GenerateOptions {
  /** created_at of the first entry; default: so that the last entry is at now. */
  start?: Date;
  /** Spacing between entries; default 15 s (ThingSpeak's free-tier write interval). */
  stepMs?: number;
  /** About 1 value in 10 becomes "nan", "  12.5\r\n", "12,5" or "err". */
  messy?: boolean;
  /** Exact share of messy values, 0..1; overrides `messy`. */
  messyRatio?: number;
  /** Default: the channel's kind. */
  kind?: ChannelKind;
}

export interface GeneratorOptions {
  cadenceMs: number;
  /** Default: every channel that exists at each tick. */
  channels?: number[];
  /** Share of values written messy, 0..1; default 0. */
  messyRatio?: number;
}

export interface ThingSpeakSimulator {
  listen(port?: number, host?: string): Promise<{ url: string; port: number }>;
  close(): Promise<void>;
  createChannel(spec: ChannelSpec): void;
  channels(): SimChannel[];
  appendEntries(id: number, entries: NewEntry[]): number[];
  appendGenerated(id: number, count: number, opts?: GenerateOptions): number[];
  /** Deletes every entry; ids restart at 1 and last_entry_id is null until the next write. */
  clearChannel(id: number): void;
  /** Every stored entry in entry id order. */
  entries(id: number): SimEntry[];
  setFault(target: FaultTarget, fault: Fault | null): void;
  /** Delay added to every read request (a channel's latencyMs wins when larger). */
  setLatency(ms: number): void;
  stats(): SimulatorStats;
  resetStats(): void;
  startGenerator(opts: GeneratorOptions): void;
  stopGenerator(): void;
}
