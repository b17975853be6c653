import { isDeepStrictEqual } from 'node:util';
import type { Knex } from 'knex';
import type { Db } from '../db/knex';
import type { LeftJoined, NodeChannelRow, NodeRow, NodeStateRow } from '../db/tables';
import type { Scope } from '../auth/scope';
import { whereCommunityInScope } from '../db/scope-filter';
import { encryptSecret } from '../crypto/secret-box';
import { readKeyContext } from '../crypto/secret-contexts';
import type { SecretKeys } from '../crypto/secret-keyring';
import { isOnline, offlineAfterSql } from './offline-threshold';
import type { Conn, Tx } from '../db/transaction';
import { insertChannels, noChannelChanges, upsertChannels, type ChannelChanges, type SealKey } from './node-channels.repository';
import { NODE_CATEGORIES, NODE_STATUSES, type CreateNodeInput, type NodeCategory, type NodeChannel, type NodeStatus, type NodeView, type UpdateNodeInput } from './node';
import { encodeNodeListCursor, type NodeListPosition } from './node-list-cursor';

export interface NodeListFilter {
  communityId?: string;
  category?: string;
  analyticsType?: string;
  status?: NodeStatus;
  online?: boolean;
  /** Case-insensitive match on label, node key or location name. */
  search?: string;
}

export interface NodeListPage {
  limit: number;
  /** Keyset position: the page starts after it. Wins over offset. */
  after?: NodeListPosition;
  offset?: number;
  /** Count the whole filtered set (`total`): one more scan per page, so only when asked. */
  count: boolean;
}

export interface NodeSummary {
  total: number;
  online: number;
  offline: number;
  byStatus: Record<NodeStatus, number>;
  byCategory: Record<NodeCategory, number>;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** NODE_COLUMNS: the node with its state (LEFT JOINed: null columns when the node has no state row). */
type NodeViewRow = NodeRow & LeftJoined<Pick<NodeStateRow, 'last_reading_at' | 'metrics' | 'level_pct' | 'volume_l' | 'capacity_l' | 'flow_rate' | 'depth_m' | 'derivation_note'>>;

/**
 * A node's channels with their sync state as one JSON array, in the node's own row: a node read is
 * one round trip instead of two (the JSON carries no read key, only whether there is one).
 */
const CHANNELS_JSON = `COALESCE((
  SELECT json_agg(json_build_object(
    'id', nc.id, 'channel_id', nc.channel_id, 'has_read_key', nc.read_key_encrypted IS NOT NULL,
    'field_mapping', nc.field_mapping, 'active', nc.active, 'epoch', s.epoch, 'stored_count', s.stored_count,
    'last_entry_id', s.last_entry_id, 'remote_last_entry_id', s.remote_last_entry_id, 'last_poll_at', s.last_poll_at,
    'last_success_at', s.last_success_at, 'last_error', s.last_error, 'last_error_code', s.last_error_code,
    'last_error_at', s.last_error_at, 'consecutive_failures', s.consecutive_failures, 'missing_entries', s.missing_entries,
    'cleared_at', s.cleared_at) ORDER BY nc.channel_id)
  FROM node_channels nc LEFT JOIN channel_sync_state s ON s.node_channel_id = nc.id
  WHERE nc.node_id = nodes.id), '[]'::json) AS channels_json`;

interface ChannelJson {
  id: string;
  channel_id: number | string;
  has_read_key: boolean;
  field_mapping: Record<string, string>;
  active: boolean;
  epoch: number | null;
  stored_count: number | string | null;
  last_entry_id: number | null;
  remote_last_entry_id: number | null;
  last_poll_at: string | null;
  last_success_at: string | null;
  last_error: string | null;
  last_error_code: string | null;
  last_error_at: string | null;
  consecutive_failures: number | null;
  missing_entries: number | null;
  cleared_at: string | null;
}

// JSON carries Postgres's timestamp text ("...+00:00"); the API speaks toISOString ("...Z").
const isoText = (t: string | null) => (t === null ? null : new Date(t).toISOString());

function toChannelFromJson(c: ChannelJson): NodeChannel {
  return {
    id: c.id,
    channelId: Number(c.channel_id),
    hasReadKey: c.has_read_key,
    fieldMapping: c.field_mapping,
    active: c.active,
    sync: {
      epoch: c.epoch ?? 0,
      storedEntries: Number(c.stored_count ?? 0),
      highestStoredEntryId: c.last_entry_id ?? 0,
      thingspeakLastEntryId: c.remote_last_entry_id ?? null,
      lastPollAt: isoText(c.last_poll_at),
      lastSuccessAt: isoText(c.last_success_at),
      lastError: c.last_error ?? null,
      lastErrorCode: c.last_error_code ?? null,
      lastErrorAt: isoText(c.last_error_at),
      consecutiveFailures: c.consecutive_failures ?? 0,
      missingEntries: c.missing_entries ?? 0,
      clearedAt: isoText(c.cleared_at),
    },
  };
}

function toNodeView(r: NodeViewRow, channels: NodeChannel[], now: Date): NodeView {
  const lastReadingAt = r.last_reading_at;
  return {
    id: r.id,
    nodeKey: r.node_key,
    label: r.label,
    category: r.category,
    analyticsType: r.analytics_type,
    communityId: r.community_id,
    config: r.config,
    lat: r.lat,
    lng: r.lng,
    locationName: r.location_name,
    status: r.status,
    // Computed now, not only at the last poll: a device that went silent shows offline at once.
    online: isOnline(lastReadingAt, r.expected_interval_s, now),
    lastSeenAt: iso(r.last_seen_at),
    expectedIntervalS: r.expected_interval_s,
    active: r.active,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    state: {
      levelPct: r.level_pct,
      volumeL: r.volume_l,
      capacityL: r.capacity_l,
      flowRate: r.flow_rate,
      depthM: r.depth_m,
      metrics: r.metrics ?? {},
      note: r.derivation_note,
      lastReadingAt: iso(lastReadingAt),
    },
    channels,
  };
}

const NODE_COLUMNS = [
  'nodes.*',
  'node_state.last_reading_at',
  'node_state.metrics',
  'node_state.level_pct',
  'node_state.volume_l',
  'node_state.capacity_l',
  'node_state.flow_rate',
  'node_state.depth_m',
  'node_state.derivation_note',
];

/** The node settings PATCH changes, by their column. */
const SETTING_COLUMNS = {
  label: 'label',
  category: 'category',
  analyticsType: 'analytics_type',
  config: 'config',
  lat: 'lat',
  lng: 'lng',
  locationName: 'location_name',
  expectedIntervalS: 'expected_interval_s',
  active: 'active',
} as const satisfies Partial<Record<keyof UpdateNodeInput, keyof NodeRow>>;

export function createNodesRepository(db: Db, encryptionKeys: SecretKeys) {
  const sealKey: SealKey = (key, nodeChannelId) => (key ? encryptSecret(key, encryptionKeys, readKeyContext(nodeChannelId)) : null);

  function scopedNodes(conn: Conn, scope: Scope): Knex.QueryBuilder {
    return whereCommunityInScope(conn('nodes').leftJoin('node_state', 'node_state.node_id', 'nodes.id'), scope, 'nodes.community_id');
  }

  function filteredNodes(scope: Scope, filter: NodeListFilter): Knex.QueryBuilder {
    const q = scopedNodes(db, scope);
    if (filter.communityId) q.where('nodes.community_id', filter.communityId);
    if (filter.category) q.where('nodes.category', filter.category);
    if (filter.analyticsType) q.where('nodes.analytics_type', filter.analyticsType);
    if (filter.status) q.where('nodes.status', filter.status);
    if (filter.online !== undefined) {
      const cond = `node_state.last_reading_at >= now() - ${offlineAfterSql('nodes.expected_interval_s')}`;
      q.where((w) => (filter.online ? w.whereRaw(cond) : w.whereNull('node_state.last_reading_at').orWhereRaw(`NOT (${cond})`)));
    }
    if (filter.search) {
      const like = `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      q.where((w) => w.whereILike('nodes.label', like).orWhereILike('nodes.node_key', like).orWhereILike('nodes.location_name', like));
    }
    return q;
  }

  async function getInScope(conn: Conn, scope: Scope, id: string): Promise<NodeView | undefined> {
    const row: (NodeViewRow & { channels_json: ChannelJson[] }) | undefined = await scopedNodes(conn, scope)
      .where('nodes.id', id)
      .first([...NODE_COLUMNS, conn.raw(CHANNELS_JSON)]);
    if (!row) return undefined;
    return toNodeView(row, row.channels_json.map(toChannelFromJson), new Date());
  }

  return {
    get: (scope: Scope, id: string) => getInScope(db, scope, id),

    /** Creates the node, its channels, their sync state and first epoch and an empty state row, all or nothing. */
    /** In its own transaction, or nested in the caller's (a savepoint) when `conn` is one. */
    async create(input: CreateNodeInput, communityId: string, conn: Conn = db): Promise<NodeView | 'node_key_taken'> {
      return conn.transaction(async (trx) => {
        const [row]: Array<Pick<NodeRow, 'id'>> = await trx('nodes')
          .insert({
            node_key: input.nodeKey,
            label: input.label,
            category: input.category,
            analytics_type: input.analyticsType,
            community_id: communityId,
            config: input.config,
            lat: input.lat ?? null,
            lng: input.lng ?? null,
            location_name: input.locationName ?? null,
            expected_interval_s: input.expectedIntervalS,
          })
          .onConflict('node_key')
          .ignore()
          .returning('id');
        if (!row) return 'node_key_taken' as const;
        const id = row.id;
        await trx('node_state').insert({ node_id: id, derivation_note: 'no data yet' });
        await insertChannels(trx, sealKey, id, input.channels);
        return (await getInScope(trx, { role: 'superadmin' }, id))!;
      });
    },

    /**
     * A page of nodes sorted by (label, id): after a keyset position, or at an offset (kept for
     * old clients; it reads and drops every row before it). `total` only when asked, since it
     * counts the whole filtered set on every page.
     */
    async list(scope: Scope, filter: NodeListFilter, page: NodeListPage): Promise<{ items: NodeView[]; total?: number; nextCursor: string | null }> {
      const q = filteredNodes(scope, filter);
      const pageIds = q.clone().select('nodes.id', 'nodes.label').orderBy([{ column: 'nodes.label' }, { column: 'nodes.id' }]).limit(page.limit + 1);
      if (page.after) pageIds.whereRaw('(nodes.label, nodes.id) > (?, ?)', [page.after.label, page.after.id]);
      else if (page.offset) pageIds.offset(page.offset);
      // The page is chosen first and its channels joined after: in the page's own select list the
      // channels subquery ran for every node sorted, not only the 50 shown (62 ms instead of 22).
      const [rows, count] = await Promise.all([
        db
          .with('page_ids', pageIds)
          .from('page_ids')
          .join('nodes', 'nodes.id', 'page_ids.id')
          .leftJoin('node_state', 'node_state.node_id', 'nodes.id')
          .select([...NODE_COLUMNS, db.raw(CHANNELS_JSON)])
          .orderBy([{ column: 'nodes.label' }, { column: 'nodes.id' }]) as Promise<Array<NodeViewRow & { channels_json: ChannelJson[] }>>,
        page.count ? q.clone().clearSelect().count<{ count: string }[]>('nodes.id as count') : Promise.resolve(undefined),
      ]);
      const more = rows.length > page.limit;
      const shown = more ? rows.slice(0, page.limit) : rows;
      const last = shown[shown.length - 1];
      const now = new Date();
      return {
        items: shown.map((r) => toNodeView(r, r.channels_json.map(toChannelFromJson), now)),
        ...(count ? { total: Number(count[0]?.count ?? 0) } : {}),
        nextCursor: more && last ? encodeNodeListCursor({ label: last.label, id: last.id }) : null,
      };
    },

    /** Counts of the nodes in scope by status, by category and online or not, from one grouped query. */
    async summary(scope: Scope, filter: Pick<NodeListFilter, 'communityId'>): Promise<NodeSummary> {
      const online = `COALESCE(node_state.last_reading_at >= now() - ${offlineAfterSql('nodes.expected_interval_s')}, false)`;
      const rows: Array<{ status: NodeStatus; category: NodeCategory; online: boolean; count: string }> = await filteredNodes(scope, filter)
        .select('nodes.status', 'nodes.category', db.raw(`${online} AS online`), db.raw('count(*) AS count'))
        .groupByRaw(`1, 2, 3`);
      const summary: NodeSummary = {
        total: 0,
        online: 0,
        offline: 0,
        byStatus: Object.fromEntries(NODE_STATUSES.map((s) => [s, 0])) as Record<NodeStatus, number>,
        byCategory: Object.fromEntries(NODE_CATEGORIES.map((c) => [c, 0])) as Record<NodeCategory, number>,
      };
      for (const r of rows) {
        const n = Number(r.count);
        summary.total += n;
        if (r.online) summary.online += n;
        else summary.offline += n;
        summary.byStatus[r.status] += n;
        summary.byCategory[r.category] += n;
      }
      return summary;
    },

    /**
     * Changes a node's settings and upserts the channels it lists (node-channels.repository.ts:
     * channels left out are untouched) in the caller's transaction, holding its row. Its status is
     * not written here: node-status.ts owns it. Undefined when the node is not in scope.
     */
    /**
     * Changes the settings given and upserts the channels listed. `changed` holds each setting whose
     * value differs, before and after (what the audit entry records); `channels` what the upsert did.
     */
    async update(
      trx: Tx,
      scope: Scope,
      id: string,
      input: Omit<UpdateNodeInput, 'maintenance'>,
    ): Promise<{ communityId: string; changed: Record<string, { from: unknown; to: unknown }>; channels: ChannelChanges } | undefined> {
      const current: NodeRow | undefined = await scopedNodes(trx, scope).where('nodes.id', id).forUpdate('nodes').first('nodes.*');
      if (!current) return undefined;
      const patch: Record<string, unknown> = { updated_at: trx.fn.now() };
      const changed: Record<string, { from: unknown; to: unknown }> = {};
      for (const [field, column] of Object.entries(SETTING_COLUMNS)) {
        const to = input[field as keyof typeof SETTING_COLUMNS];
        if (to === undefined) continue;
        patch[column] = to;
        const from = current[column];
        if (!isDeepStrictEqual(from, to)) changed[field] = { from, to };
      }
      await trx('nodes').where({ id }).update(patch);
      const channels = input.channels ? await upsertChannels(trx, sealKey, id, input.channels) : noChannelChanges();
      return { communityId: current.community_id, changed, channels };
    },

    /** The node as the API shows it, read in the caller's transaction. */
    getIn: (conn: Tx, scope: Scope, id: string) => getInScope(conn, scope, id),

    /** Active channels of active nodes, for the poll tick. */
    async listPollableChannels(): Promise<Array<{ nodeChannelId: string }>> {
      const rows: Array<Pick<NodeChannelRow, 'id'>> = await db('node_channels')
        .join('nodes', 'nodes.id', 'node_channels.node_id')
        .where('node_channels.active', true)
        .andWhere('nodes.active', true)
        .select('node_channels.id')
        .orderBy('node_channels.id');
      return rows.map((r) => ({ nodeChannelId: r.id }));
    },

    /** The node owning a channel, if that node is in scope. */
    async nodeIdOfChannel(scope: Scope, nodeChannelId: string): Promise<string | undefined> {
      const row: Pick<NodeRow, 'id'> | undefined = await whereCommunityInScope(
        db('node_channels').join('nodes', 'nodes.id', 'node_channels.node_id').where('node_channels.id', nodeChannelId),
        scope,
        'nodes.community_id',
      ).first('nodes.id');
      return row?.id;
    },

    async channelIdsOfNode(scope: Scope, nodeId: string): Promise<string[] | undefined> {
      const node: Pick<NodeRow, 'id'> | undefined = await whereCommunityInScope(db('nodes').where('nodes.id', nodeId), scope, 'nodes.community_id').first('nodes.id');
      if (!node) return undefined;
      const rows: Array<Pick<NodeChannelRow, 'id'>> = await db('node_channels').where({ node_id: nodeId, active: true }).select('id');
      return rows.map((r) => r.id);
    },
  };
}

export type NodesRepository = ReturnType<typeof createNodesRepository>;
