import { decodeStored, encodeFields, toStoredFields, type FieldTexts } from '../../../src/shared/readings/reading-codec';
import { readingCsvRecord, readingsCsvLayout } from '../../../src/shared/readings/readings-csv';
import type { ExportEpoch, ReadingExportRow } from '../../../src/shared/readings/readings-export.repository';

const epochs: ExportEpoch[] = [
  { channelEpochId: 7, channelId: 1001, epoch: 0, fieldMapping: { field1: 'temperature', field2: 'distance_cm' } },
  { channelEpochId: 8, channelId: 1002, epoch: 1, fieldMapping: { field3: 'distance_cm', field1: 'humidity' } },
];

function row(channelEpochId: number, fields: FieldTexts): ReadingExportRow {
  return { recorded_at: new Date(Date.UTC(2026, 10, 30, 6, 0, 0)), channel_epoch_id: channelEpochId, entry_id: 42, ...toStoredFields(encodeFields(fields)) };
}

/** What the record must hold, built the slow, obvious way: decodeStored and the layout's columns. */
function expected(r: ReadingExportRow): Array<string | number | null> {
  const layout = readingsCsvLayout(epochs);
  const e = epochs.find((x) => x.channelEpochId === r.channel_epoch_id)!;
  const record: Array<string | number | null> = layout.columns.map(() => null);
  record[0] = r.recorded_at.toISOString();
  record[1] = e.channelId;
  record[2] = e.epoch;
  record[3] = r.entry_id;
  const { raw, parsed } = decodeStored(r);
  const other: Record<string, string | null> = {};
  for (const [field, text] of Object.entries(raw)) {
    const alias = e.fieldMapping[field];
    if (!alias) {
      other[field] = text;
      continue;
    }
    const column = layout.columns.indexOf(alias);
    record[column] = parsed[field]!.value;
    record[column + 1] = text;
  }
  if (Object.keys(other).length > 0) record[record.length - 1] = JSON.stringify(other);
  return record;
}

describe('readings CSV layout and records', () => {
  test('when channels map fields to aliases, then the header lists each alias once (value, raw) in field order, then other_fields_raw', () => {
    expect(readingsCsvLayout(epochs).columns).toEqual([
      'recorded_at', 'channel_id', 'epoch', 'entry_id',
      'temperature', 'temperature_raw', 'humidity', 'humidity_raw', 'distance_cm', 'distance_cm_raw',
      'other_fields_raw',
    ]);
  });

  test.each<[string, number, FieldTexts]>([
    ['plain numbers (no kept text: the fast path)', 7, { field1: '24.5', field2: '46' }],
    ['a plain number in an unmapped typed field (fast path)', 7, { field1: '24.5', field4: '3' }],
    ['two channels sharing an alias on different fields (fast path)', 8, { field1: '61', field3: '120.5' }],
    ['texts the number does not rebuild', 7, { field1: ' 25.81', field2: '12,5' }],
    ['nan with CRLFs, garbage and an empty string', 7, { field1: 'nan\r\n\r\n', field2: 'say "hi"', field3: '' }],
    ['fields past the typed columns', 8, { field1: '1', field6: '7', field8: 'x,y' }],
  ])('when a row holds %s, then its record equals the decoded reading', (_what, epochId, fields) => {
    const r = row(epochId, fields);
    expect(readingCsvRecord(readingsCsvLayout(epochs), r)).toEqual(expected(r));
  });
});
