import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Client } from 'pg';
import QueryStream from 'pg-query-stream';
import type { Db } from './knex';

/** SQL with its positional bindings, as a repository's `toSQL().toNative()` gives them. */
export interface NativeQuery {
  sql: string;
  bindings: readonly unknown[];
}

export interface CursorStreamOptions {
  /**
   * How long the whole read may take. A cursor's statement_timeout runs from its first fetch to the
   * last (Postgres arms it at Bind and only a Sync stops it; pausing for a slow client counts too),
   * so the pool's per-connection timeout (DATABASE_STATEMENT_TIMEOUT_MS) would cut any read longer
   * than that: this replaces it, for this transaction only (SET LOCAL).
   */
  timeoutMs: number;
  /** Rows fetched per round trip (and buffered ahead of the consumer). */
  batchSize?: number;
}

/**
 * Runs `query` through a server-side cursor (pg-query-stream) on a pooled connection, in a read-only
 * transaction of its own, and hands the row stream to `consume`. Rows are fetched only as fast as
 * the consumer reads them. When `consume` settles, or the stream is destroyed (a client went away),
 * the cursor is closed, the transaction ends and the connection goes back to the pool.
 */
export async function withCursor<T>(db: Db, query: NativeQuery, opts: CursorStreamOptions, consume: (rows: Readable) => Promise<T>): Promise<T> {
  return db.transaction(
    async (trx) => {
      await trx.raw("SELECT set_config('statement_timeout', ?, true)", [String(opts.timeoutMs)]);
      const conn = (await trx.client.acquireConnection()) as Client;
      const rows = new QueryStream(query.sql, [...query.bindings], { batchSize: opts.batchSize ?? 1000 });
      // pg's client-side read timeout (the pool's query_timeout, 30 s) would also fire mid-export;
      // it is read from the submitted query first. A little later than the server's, whose error says more.
      (rows as unknown as { query_timeout: number }).query_timeout = opts.timeoutMs + 5_000;
      conn.query(rows);
      try {
        return await consume(rows);
      } finally {
        // Closing the cursor answers the pending fetch; only then can the transaction end.
        if (!rows.destroyed) rows.destroy();
        await finished(rows).catch(() => undefined);
      }
    },
    { readOnly: true },
  );
}
