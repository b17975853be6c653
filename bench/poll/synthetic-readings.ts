import type { Db } from '../../src/shared/db/knex';
import type { FleetChannel } from './seed-fleet';

/**
 * The backfill floor: `n` readings shaped like a tank poll's (two plain-number fields, so no raw
 * text is kept) written by the server itself in one INSERT ... SELECT, with no client, network or
 * parsing cost. THE one place that writes readings without the app, so a schema change of
 * readings touches only this function (and readings-queries.ts).
 */
export async function insertSyntheticReadings(db: Db, target: FleetChannel, n: number): Promise<number> {
  const result = await db.raw(
    `INSERT INTO readings (recorded_at, channel_epoch_id, entry_id, f1, f2)
     SELECT now() - (? - g) * interval '15 seconds', e.id, g, 25 + (g % 50) / 10.0, 30 + (g % 1100) / 10.0
     FROM generate_series(1, ?) g, channel_epochs e
     WHERE e.node_channel_id = ? AND e.epoch = 0`,
    [n, n, target.nodeChannelId],
  );
  return (result as { rowCount: number }).rowCount;
}
