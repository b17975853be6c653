import type { UserRecord } from '../../shared/auth/users.repository';
import { scopeOf } from '../../shared/auth/api-keys.repository';
import type { Logger } from '../../shared/logger';
import { LIVE_CLOSE, type LiveCloseReason } from './live-close-codes';
import type { LiveClient } from './live-client';

export interface LiveUserWatch {
  /** Re-reads one user now (its deletion, disabling or new scope was announced) and closes its sockets if it changed. */
  checkUser(userId: string): Promise<void>;
  /** Re-reads the user of every open socket and closes those deleted, disabled or re-scoped. */
  recheck(): Promise<void>;
  stop(): void;
}

const sameScope = (a: LiveClient['identity']['scope'], b: LiveClient['identity']['scope']) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Keeps the live sockets of signed-in users honest: a user deleted or disabled loses its sockets
 * (4401), a user whose role or scope changed gets 4409 and reconnects with what it now may see.
 * A change made through the API is announced over Redis and checked at once (checkUser); every
 * `recheckMs` (LIVE_USER_RECHECK_MS, at most 15 s) all users with open sockets are read again in
 * one query, which catches changes made any other way. While the database is down sockets stay open.
 */
export function createLiveUserWatch(deps: { clients: ReadonlySet<LiveClient>; findUsers: (ids: readonly string[]) => Promise<UserRecord[]>; recheckMs: number; log: Logger }): LiveUserWatch {
  const { clients, log } = deps;
  let running: Promise<void> | undefined;

  async function recheckUsers(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    let users: Map<string, UserRecord>;
    try {
      users = new Map((await deps.findUsers(ids)).map((u) => [u.id, u]));
    } catch (err) {
      log.warn({ err, users: ids.length }, 'live user recheck failed: sockets stay open until the next one');
      return;
    }
    const wanted = new Set(ids);
    for (const client of clients) {
      const { kind, id, scope } = client.identity;
      if (kind !== 'user' || !wanted.has(id)) continue;
      const user = users.get(id);
      let why: LiveCloseReason | undefined;
      if (!user || user.disabledAt) why = LIVE_CLOSE.userRemoved;
      else if (!sameScope(scopeOf(user), scope)) why = LIVE_CLOSE.userChanged;
      if (why && client.close(why)) log.info({ userId: id, code: why.code, reason: why.reason }, 'live client closed: user changed');
    }
  }

  const userIds = () => [...new Set([...clients].filter((c) => c.identity.kind === 'user').map((c) => c.identity.id))];
  // One full recheck at a time: a slow database must not pile them up.
  const recheck = () => (running ??= recheckUsers(userIds()).finally(() => (running = undefined)));
  const timer = setInterval(() => void recheck(), deps.recheckMs);
  timer.unref();

  return {
    checkUser: (userId) => recheckUsers(userIds().includes(userId) ? [userId] : []),
    recheck,
    stop: () => clearInterval(timer),
  };
}
