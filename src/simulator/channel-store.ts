import { ConflictError, NotFoundError, ValidationError } from '../shared/errors';
import { FIELD_KEYS, type FieldKey } from '../shared/thingspeak/feed';

/**
 * The simulator's in-memory ThingSpeak channels. Entries are kept twice: in entry id order (what
 * tests compare against) and in (created_at, entry_id) order (what the read API serves), so a
 * window query is two binary searches even with tens of thousands of entries.
 */
export type ChannelKind = 'tank' | 'flow' | 'deep';
export type SimFields = Partial<Record<FieldKey, string | null>>;
export type FieldLabels = Partial<Record<FieldKey, string>>;

export interface SimEntry {
  entryId: number;
  createdAt: Date;
  fields: SimFields;
}

export interface NewSimEntry {
  createdAt: Date;
  fields: SimFields;
}

export interface StoredChannelSpec {
  id: number;
  name: string;
  readKey?: string;
  fieldLabels: FieldLabels;
  createdAt: Date;
  latencyMs: number;
  kind: ChannelKind;
}

export interface SimChannel extends Readonly<StoredChannelSpec> {
  readonly fieldLabels: FieldLabels;
  updatedAt: Date;
  /** null when the channel has no entries, as on ThingSpeak (also right after a clear). */
  lastEntryId: number | null;
}

interface StoredEntry {
  entryId: number;
  /** Epoch ms, whole seconds. */
  at: number;
  fields: SimFields;
}

interface ChannelState {
  channel: SimChannel;
  nextEntryId: number;
  byId: StoredEntry[];
  byTime: StoredEntry[];
}

export interface WindowQuery {
  /** Inclusive epoch ms; absent = from the beginning. */
  start?: number;
  /** Inclusive epoch ms; absent = no upper bound. */
  end?: number;
  results: number;
}

// ThingSpeak stores created_at with one-second resolution.
const toWholeSecond = (d: Date) => Math.floor(d.getTime() / 1000) * 1000;
const byTimeThenId = (a: StoredEntry, b: StoredEntry) => a.at - b.at || a.entryId - b.entryId;

export function createChannelStore() {
  const channels = new Map<number, ChannelState>();

  function state(id: number): ChannelState {
    const s = channels.get(id);
    if (!s) throw new NotFoundError(`Simulated channel ${id} does not exist`, 'SIM_CHANNEL_NOT_FOUND');
    return s;
  }

  function create(spec: StoredChannelSpec): SimChannel {
    if (!Number.isSafeInteger(spec.id) || spec.id <= 0) throw new ValidationError(`Channel id must be a positive integer, got ${spec.id}`);
    if (channels.has(spec.id)) throw new ConflictError(`Simulated channel ${spec.id} already exists`, 'SIM_CHANNEL_EXISTS');
    assertValidDate(spec.createdAt, 'createdAt');
    const channel: SimChannel = { ...spec, fieldLabels: { ...spec.fieldLabels }, updatedAt: spec.createdAt, lastEntryId: null };
    channels.set(spec.id, { channel, nextEntryId: 1, byId: [], byTime: [] });
    return channel;
  }

  function append(id: number, entries: readonly NewSimEntry[]): number[] {
    const s = state(id);
    const stored = entries.map((e) => toStored(e, 0));
    for (const e of stored) {
      e.entryId = s.nextEntryId++;
      for (const key of Object.keys(e.fields) as FieldKey[]) {
        // ThingSpeak ignores writes to disabled fields; the simulator enables them instead, so that
        // a test writing field5 sees field5 come back.
        s.channel.fieldLabels[key] ??= `Field ${key.slice(5)}`;
      }
    }

    let inOrder = true;
    for (const e of stored) {
      const last = s.byTime[s.byTime.length - 1];
      if (last && last.at > e.at) inOrder = false;
      s.byTime.push(e);
      s.byId.push(e);
    }
    // Back-dated writes are rare: one sort per batch beats a binary insert per entry.
    if (!inOrder) s.byTime.sort(byTimeThenId);
    if (stored.length > 0) s.channel.lastEntryId = s.nextEntryId - 1;
    return stored.map((e) => e.entryId);
  }

  function clear(id: number, now: Date): void {
    const s = state(id);
    s.byId = [];
    s.byTime = [];
    s.nextEntryId = 1;
    s.channel.lastEntryId = null;
    s.channel.updatedAt = now;
  }

  /** Entries in [start, end], ordered by created_at then entry id, newest `results` of them. */
  function selectWindow(id: number, q: WindowQuery): SimEntry[] {
    const { byTime } = state(id);
    const from = q.start === undefined ? 0 : lowerBound(byTime, q.start);
    const to = q.end === undefined ? byTime.length : upperBound(byTime, q.end);
    if (to <= from || q.results <= 0) return [];
    return byTime.slice(Math.max(from, to - q.results), to).map(toPublic);
  }

  function lastEntry(id: number): SimEntry | undefined {
    const { byId } = state(id);
    const last = byId[byId.length - 1];
    return last ? toPublic(last) : undefined;
  }

  return {
    create,
    append,
    clear,
    selectWindow,
    lastEntry,
    get: (id: number): SimChannel | undefined => channels.get(id)?.channel,
    require: (id: number): SimChannel => state(id).channel,
    list: (): SimChannel[] => [...channels.values()].map((s) => s.channel),
    /** Every stored entry in entry id order. */
    entries: (id: number): SimEntry[] => state(id).byId.map(toPublic),
  };
}

export type ChannelStore = ReturnType<typeof createChannelStore>;

function toStored(e: NewSimEntry, entryId: number): StoredEntry {
  assertValidDate(e.createdAt, 'createdAt');
  const fields: SimFields = {};
  for (const [key, value] of Object.entries(e.fields)) {
    if (!(FIELD_KEYS as readonly string[]).includes(key)) throw new ValidationError(`Unknown field "${key}" (field1..field8)`);
    if (value !== null && typeof value !== 'string') throw new ValidationError(`${key} must be a string or null`);
    fields[key as FieldKey] = value;
  }
  return { entryId, at: toWholeSecond(e.createdAt), fields };
}

function toPublic(e: StoredEntry): SimEntry {
  return { entryId: e.entryId, createdAt: new Date(e.at), fields: { ...e.fields } };
}

function assertValidDate(d: Date, name: string): void {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new ValidationError(`${name} must be a valid Date`);
}

function lowerBound(list: StoredEntry[], at: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.at < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(list: StoredEntry[], at: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.at <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
