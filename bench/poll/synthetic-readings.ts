import type { Db } from '../../src/shared/db/knex';
import type { FleetChannel } from './seed-fleet';

/**
 * The backfill floor: `n` readings shaped like a tank poll's (two fields, raw strings and parsed
 * values) written by the server itself in one INSERT ... SELECT, with no client, network or
 * parsing cost. THE one place that writes readings without the app, so a schema change of
 * readings touches only this function (and readings-queries.ts).
 */
export async function insertSyntheticReadings(db: Db, target: FleetChannel, n: number): Promise<number> {
  const result = await db.raw(
    `INSERT INTO readings (node_channel_id, node_id, epoch, entry_id, recorded_at, raw, parsed)
     SELECT ?, ?, 0, g, now() - (? - g) * interval '15 seconds',
            jsonb_build_object('field1', to_char(25 + (g % 50) / 10.0, 'FM990.0'), 'field2', to_char(30 + (g % 1100) / 10.0, 'FM9990.0')),
            jsonb_build_object('field1', jsonb_build_object('value', 25 + (g % 50) / 10.0, 'status', 'ok'),
                               'field2', jsonb_build_object('value', 30 + (g % 1100) / 10.0, 'status', 'ok'))
     FROM generate_series(1, ?) g`,
    [target.nodeChannelId, target.nodeId, n, n],
  );
  return (result as { rowCount: number }).rowCount;
}
