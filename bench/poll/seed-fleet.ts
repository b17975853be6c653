import { randomUUID } from 'node:crypto';
import type { Db } from '../../src/shared/db/knex';
import { encryptSecret } from '../../src/shared/crypto/secret-box';
import { readKeyContext } from '../../src/shared/crypto/secret-contexts';
import type { SecretKeys } from '../../src/shared/crypto/secret-keyring';

/**
 * THE place that knows how the fleet's rows look (community, nodes, node_state, node_channels,
 * channel_sync_state), so a schema change touches only this file. Rows go in as multi-row INSERTs
 * with ids made here (10k nodes through the repository, one transaction each, take minutes).
 */
export interface FleetChannel {
  nodeId: string;
  nodeChannelId: string;
  /** The ThingSpeak (simulator) channel id. */
  channelId: number;
}

export interface SeedFleetOptions {
  /** Simulator channel ids: one node per channel, one channel per node. */
  channels: readonly number[];
  /** With readKeyOf: store sealed read keys (private channels). Public channels need neither. */
  encryptionKey?: SecretKeys;
  readKeyOf?: (channelId: number) => string | undefined;
}

// Keeps each statement far below Postgres's 65535 bind parameters (10 columns a row at most).
const ROWS_PER_INSERT = 1_000;

// A 1.63 m rectangular overhead tank reporting temperature and ultrasonic distance, as the test factories build.
const TANK_CONFIG = { tank: { shape: 'rectangular', unit: 'm', height: 1.63, length: 2, breadth: 1.5 } };
const TANK_FIELDS = { field1: 'temperature', field2: 'distance_cm' };

async function insertChunked(db: Db, table: string, rows: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) await db(table).insert(rows.slice(i, i + ROWS_PER_INSERT));
}

export async function seedFleet(db: Db, opts: SeedFleetOptions): Promise<FleetChannel[]> {
  const [community] = (await db.raw(
    `INSERT INTO communities (slug, name) VALUES ('bench-fleet', 'Bench fleet')
     ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
  )).rows as Array<{ id: string }>;
  const fleet: FleetChannel[] = opts.channels.map((channelId) => ({ nodeId: randomUUID(), nodeChannelId: randomUUID(), channelId }));
  const sealed = ({ channelId, nodeChannelId }: FleetChannel): string | null => {
    const key = opts.readKeyOf?.(channelId);
    if (!key) return null;
    if (!opts.encryptionKey) throw new Error('seedFleet: a read key needs the encryptionKey');
    return encryptSecret(key, opts.encryptionKey, readKeyContext(nodeChannelId));
  };

  await insertChunked(db, 'nodes', fleet.map((f) => ({
    id: f.nodeId,
    community_id: community!.id,
    node_key: `bench-${f.channelId}`,
    label: `Bench tank ${f.channelId}`,
    category: 'OHT',
    analytics_type: 'EvaraTank',
    config: TANK_CONFIG,
    // The simulator's rounds write about once a minute.
    expected_interval_s: 60,
  })));
  await insertChunked(db, 'node_state', fleet.map((f) => ({ node_id: f.nodeId, derivation_note: 'no data yet' })));
  await insertChunked(db, 'node_channels', fleet.map((f) => ({
    id: f.nodeChannelId,
    node_id: f.nodeId,
    channel_id: f.channelId,
    read_key_encrypted: sealed(f),
    field_mapping: TANK_FIELDS,
  })));
  await insertChunked(db, 'channel_sync_state', fleet.map((f) => ({ node_channel_id: f.nodeChannelId })));
  await insertChunked(db, 'channel_epochs', fleet.map((f) => ({ node_channel_id: f.nodeChannelId, epoch: 0 })));
  return fleet;
}
