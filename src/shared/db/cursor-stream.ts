import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { Client } from 'pg';
import QueryStream from 'pg-query-stream';
import type { Db } from './knex';

const CLOSE_WAIT_MS = 5_000;

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
      // A connection that dies mid-export fails the cursor, but a paused stream would not notice
      // until read again, and closing the cursor would wait forever for the server's answer: mark it
      // closed (pg-cursor's own state) and fail the stream now, so the export ends and frees its slot.
      const internals = rows as unknown as { cursor: { state: string }; callback?: (err: Error) => void };
      const onLost = (err?: Error) => {
        const lost = err ?? new Error('the database connection ended during the export');
        internals.cursor.state = 'done';
        // pg's error for the cursor (next tick) now finds it closed and is dropped: answer the query's
        // callback here instead, which also clears pg's read timer.
        internals.callback?.(lost);
        rows.destroy(lost);
      };
      const onEnd = () => onLost();
      conn.once('error', onLost);
      conn.once('end', onEnd);
      conn.query(rows);
      try {
        return await consume(rows);
      } finally {
        conn.removeListener('error', onLost);
        conn.removeListener('end', onEnd);
        // Closing the cursor answers the pending fetch; only then can the transaction end. On a dead
        // connection the close is never answered: stop waiting, and the rollback's failure discards it.
        if (!rows.destroyed) rows.destroy();
        const gaveUp = new AbortController();
        await Promise.race([finished(rows).catch(() => undefined), delay(CLOSE_WAIT_MS, undefined, { signal: gaveUp.signal }).catch(() => undefined)]);
        gaveUp.abort();
      }
    },
    { readOnly: true },
  );
}
