import { FIELD_KEYS } from '../thingspeak/feed';
import { decodeStored, FIELD_COLUMNS } from './reading-codec';
import type { ExportEpoch, ReadingExportRow } from './readings-export.repository';

/**
 * The columns of a readings CSV, fixed before the first row: the export is one pass over the rows,
 * so the header cannot depend on which fields the rows turn out to hold. It is built from the
 * field mappings of the channels exported (known up front):
 *
 *   recorded_at, channel_id, epoch, entry_id, then per alias `<alias>` (parsed number) and
 *   `<alias>_raw` (the text ThingSpeak sent), then `other_fields_raw`.
 *
 * Aliases are the same names the JSON readings use: a channel's mapped field goes to the column of
 * its alias (two channels mapping different fields to one alias share the column). A field the
 * channel's mapping does not name is kept, not dropped: its raw text goes into `other_fields_raw`
 * as a JSON object ({"field5":"12.3"}), empty when there is none.
 *
 * Empty cells: an absent field is an empty cell; a field ThingSpeak sent as the empty string is `""`.
 */
export interface ReadingsCsvLayout {
  columns: string[];
  /** Per channel epoch id: its channel number, epoch, and each field's value column index (the raw one follows); fieldColumns: the same for f1..f4 by position. */
  epochs: Map<number, { channelId: number; epoch: number; columnOf: Partial<Record<string, number>>; fieldColumns: Array<number | undefined> }>;
}

const FIXED = ['recorded_at', 'channel_id', 'epoch', 'entry_id'];
export const OTHER_FIELDS_COLUMN = 'other_fields_raw';

export function readingsCsvLayout(epochs: readonly ExportEpoch[]): ReadingsCsvLayout {
  const columns = [...FIXED];
  const aliasColumn = new Map<string, number>();
  // Field order first, then channel: field1's alias comes before field2's, as a reader expects.
  for (const field of FIELD_KEYS) {
    for (const e of epochs) {
      const alias = e.fieldMapping[field];
      if (!alias || aliasColumn.has(alias)) continue;
      aliasColumn.set(alias, columns.length);
      columns.push(alias, `${alias}_raw`);
    }
  }
  columns.push(OTHER_FIELDS_COLUMN);
  const layout: ReadingsCsvLayout = { columns, epochs: new Map() };
  for (const e of epochs) {
    const columnOf: Partial<Record<string, number>> = {};
    for (const [field, alias] of Object.entries(e.fieldMapping)) columnOf[field] = aliasColumn.get(alias);
    const fieldColumns = FIELD_COLUMNS.map((_c, i) => columnOf[FIELD_KEYS[i]!]);
    layout.epochs.set(e.channelEpochId, { channelId: e.channelId, epoch: e.epoch, columnOf, fieldColumns });
  }
  return layout;
}

/** One CSV record (cells in `layout.columns` order; null is an empty cell). */
export function readingCsvRecord(layout: ReadingsCsvLayout, row: ReadingExportRow): Array<string | number | null> {
  const record: Array<string | number | null> = new Array<string | number | null>(layout.columns.length).fill(null);
  const epoch = layout.epochs.get(row.channel_epoch_id);
  record[0] = row.recorded_at.toISOString();
  record[1] = epoch ? epoch.channelId : null;
  record[2] = epoch ? epoch.epoch : null;
  record[3] = row.entry_id;
  let other: Record<string, string | null> | undefined;
  if (row.raw === null && epoch) {
    // The common row (plain numbers in f1..f4, no kept text): by the codec's rule each field's text
    // is String(value). Spelled out here because decodeStored's objects cost most of an export's time.
    for (let i = 0; i < FIELD_COLUMNS.length; i++) {
      const value = row[FIELD_COLUMNS[i]!];
      if (value === null) continue;
      const column = epoch.fieldColumns[i];
      if (column === undefined) {
        (other ??= {})[FIELD_KEYS[i]!] = String(value);
        continue;
      }
      record[column] = value;
      record[column + 1] = String(value);
    }
    if (other) record[record.length - 1] = JSON.stringify(other);
    return record;
  }
  const { raw, parsed } = decodeStored(row);
  for (const field in raw) {
    const column = epoch?.columnOf[field];
    if (column === undefined) {
      (other ??= {})[field] = raw[field] ?? null;
      continue;
    }
    record[column] = parsed[field]?.value ?? null;
    record[column + 1] = raw[field] ?? null;
  }
  if (other) record[record.length - 1] = JSON.stringify(other);
  return record;
}
