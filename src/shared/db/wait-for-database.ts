import type { Logger } from '../logger';
import type { Db } from './knex';

/**
 * Tries the first database connection `attempts` times with doubling waits (2 s, 4 s, 8 s by
 * default). Returns whether the database answered; callers start anyway, degraded, when it did not.
 */
export async function waitForDatabase(db: Db, log: Logger, opts: { attempts: number; backoffMs: number }): Promise<boolean> {
  for (let attempt = 1; attempt <= opts.attempts; attempt++) {
    try {
      await db.raw('select 1');
      return true;
    } catch (err) {
      const last = attempt === opts.attempts;
      const waitMs = opts.backoffMs * 2 ** (attempt - 1);
      log.warn({ err, attempt, attempts: opts.attempts, ...(last ? {} : { retryInMs: waitMs }) }, 'database not reachable at start');
      if (!last) await new Promise((r) => setTimeout(r, waitMs));
    }
  }
  return false;
}
