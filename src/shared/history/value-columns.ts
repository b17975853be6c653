import { primaryAliasesOf, type NodeForState } from '../nodes/node-state';
import { FIELD_COLUMNS, type FieldColumn } from '../readings/reading-codec';
import { FIELD_KEYS } from '../thingspeak/feed';
import type { NodeEpoch } from './mapped-reading';
import { TOTALISER_ALIASES } from './totaliser';

/** The one value per reading a node's stats are computed from. */
export type StatsMeasure = 'distance' | 'totaliser' | 'rate';

/** An epoch whose measured value sits in a typed column (f1..f4). */
export interface ValueColumn {
  channelEpochId: number;
  column: FieldColumn;
}

export interface ValueColumns {
  measure: StatsMeasure;
  /** The alias the value goes by (distance_cm, totaliser_l, flow_rate, or the configured primary metric). */
  columns: ValueColumn[];
  /** Some epoch carries the value in field5..8, which only a full decode of its readings can read. */
  untyped: boolean;
}

const FIELDS = FIELD_KEYS as readonly string[];

/** The column of the field that the mapping gives the first of `aliases` it produces (an unmapped fieldN is its own alias). */
export function columnOfAliases(aliases: readonly string[], mapping: Record<string, string>): FieldColumn | 'untyped' | undefined {
  for (const alias of aliases) {
    const mapped = Object.entries(mapping).find(([, a]) => a === alias)?.[0];
    const field = mapped ?? (FIELDS.includes(alias) && mapping[alias] === undefined ? alias : undefined);
    if (field === undefined) continue;
    return FIELD_COLUMNS[FIELDS.indexOf(field)] ?? 'untyped';
  }
  return undefined;
}

/** Which typed column holds an epoch's primary value (a tank's distance, a meter's rate), as deriveState picks it (node-state.ts). */
export function primaryColumnOf(node: NodeForState, mapping: Record<string, string>): FieldColumn | 'untyped' | undefined {
  return columnOfAliases(primaryAliasesOf(node), mapping);
}

/** Whether any of the node's channels maps a totaliser alias: a meter's litres then come from the counter. */
export function hasTotaliser(mappings: ReadonlyArray<Record<string, string>>): boolean {
  return mappings.some((m) => Object.values(m).some((alias) => (TOTALISER_ALIASES as readonly string[]).includes(alias)));
}

/**
 * Where each epoch keeps the value the node's stats need: a tank's distance; a flow meter's
 * totaliser when any channel maps one, else its rate. Undefined for nodes with no such value.
 */
export function valueColumnsOf(node: NodeForState, epochs: readonly NodeEpoch[]): ValueColumns | undefined {
  if (node.analyticsType === 'EvaraDeep') return undefined;
  const measure: StatsMeasure = node.analyticsType === 'EvaraTank' ? 'distance' : hasTotaliser(epochs.map((e) => e.mapping)) ? 'totaliser' : 'rate';
  const out: ValueColumns = { measure, columns: [], untyped: false };
  for (const e of epochs) {
    const column = measure === 'totaliser' ? columnOfAliases(TOTALISER_ALIASES, e.mapping) : primaryColumnOf(node, e.mapping);
    if (column === 'untyped') out.untyped = true;
    else if (column !== undefined) out.columns.push({ channelEpochId: e.channelEpochId, column });
  }
  return out;
}
