import type { FieldValueStatus } from '../thingspeak/field-value';
import { deriveState, type NodeForState } from '../nodes/node-state';

export interface StoredReading {
  entryId: number;
  recordedAt: Date;
  parsed: Record<string, { value: number | null; status: FieldValueStatus }>;
}

/** What one reading says, by the names a rule may use. */
export interface SampleMetrics {
  at: number;
  entryId: number;
  /** Field alias, raw field name and derived value -> number (null: reported but not a number). */
  values: Map<string, number | null>;
  /** Field alias -> whether the device reported garbage (NaN, infinite, unparseable) in this reading. */
  garbage: Map<string, boolean>;
}

const GARBAGE: ReadonlySet<FieldValueStatus> = new Set(['nan', 'infinite', 'invalid']);

/**
 * Values of one reading on its own: aliases from the channel's field mapping, the raw field names,
 * and the derived values (level %, litres, flow, depth) computed from this reading alone, so a
 * rule on "level_pct" sees the level at that moment rather than a value carried from earlier.
 */
export function sampleMetrics(reading: StoredReading, mapping: Record<string, string>, node: NodeForState): SampleMetrics {
  const values = new Map<string, number | null>();
  const garbage = new Map<string, boolean>();
  const aliased: Record<string, number | null> = {};
  for (const [field, pv] of Object.entries(reading.parsed)) {
    if (pv.status === 'empty') continue; // the entry did not write this field
    const alias = mapping[field] ?? field;
    values.set(field, pv.value);
    values.set(alias, pv.value);
    aliased[alias] = pv.value;
    garbage.set(alias, GARBAGE.has(pv.status));
  }
  if (Object.keys(aliased).length > 0) {
    const derived = deriveState(node, aliased, reading.recordedAt);
    const put = (name: string, v: number | null) => {
      if (v !== null) values.set(name, v);
    };
    put('level_pct', derived.levelPct);
    put('volume_l', derived.volumeL);
    put('flow_rate', derived.flowRate);
    put('depth_m', derived.depthM);
  }
  return { at: reading.recordedAt.getTime(), entryId: reading.entryId, values, garbage };
}
