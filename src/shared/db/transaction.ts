import type { Knex } from 'knex';
import type { Db } from './knex';

/** An open transaction. Use cases hold one and hand it to repositories; they never run SQL on it. */
export type Tx = Knex.Transaction;

/** A connection or an open transaction: repository methods that can join a caller's transaction take this. */
export type Conn = Knex | Knex.Transaction;

/**
 * Runs `work` in one transaction: committed when it resolves, rolled back when it throws. The only
 * way a use case opens a transaction, so no use case imports knex.
 */
export function inTransaction<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(work);
}
