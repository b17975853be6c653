import { isExpired } from '../../shared/auth/api-key-expiry';
import type { ApiKeyRecord } from '../../shared/auth/api-keys.repository';
import type { Logger } from '../../shared/logger';
import { LIVE_CLOSE, type LiveCloseReason } from './live-close-codes';
import type { LiveClient } from './live-client';

export interface LiveKeyWatch {
  /** Closes every socket of `keyId` on this process at once (its revocation was announced). */
  closeKey(keyId: string, why: LiveCloseReason): void;
  /** Asks the database about the key of every open socket and closes those revoked, deleted or expired. */
  recheck(): Promise<void>;
  stop(): void;
}

/**
 * Keeps the live sockets of one process honest about their API keys (live-user-watch.ts does the same for users). A revocation announced over
 * Redis closes the key's sockets at once (closeKey); every `recheckMs` the keys of all open
 * sockets are read again in one query, which catches a revocation whose announcement was lost and
 * a key that expired while its socket was open. While the database is down sockets stay open
 * until a recheck succeeds: the key was valid when they opened.
 */
export function createLiveKeyWatch(deps: {
  clients: ReadonlySet<LiveClient>;
  findKeys: (ids: readonly string[]) => Promise<ApiKeyRecord[]>;
  recheckMs: number;
  log: Logger;
}): LiveKeyWatch {
  const { clients, log } = deps;
  let running: Promise<void> | undefined;

  function closeWhere(match: (client: LiveClient) => LiveCloseReason | undefined): void {
    for (const client of clients) {
      const why = match(client);
      // A revocation is heard twice in the process that made it (directly and over Redis): log it once.
      if (why && client.close(why)) log.info({ keyId: client.identity.id, code: why.code, reason: why.reason }, 'live client closed: api key no longer valid');
    }
  }

  async function recheckOnce(): Promise<void> {
    const ids = [...new Set([...clients].filter((c) => c.identity.kind === 'api_key').map((c) => c.identity.id))];
    if (ids.length === 0) return;
    let keys: Map<string, ApiKeyRecord>;
    try {
      keys = new Map((await deps.findKeys(ids)).map((k) => [k.id, k]));
    } catch (err) {
      log.warn({ err, keys: ids.length }, 'live key recheck failed: sockets stay open until the next one');
      return;
    }
    const now = Date.now();
    closeWhere((client) => {
      if (client.identity.kind !== 'api_key') return undefined;
      const key = keys.get(client.identity.id);
      if (!key || key.revokedAt) return LIVE_CLOSE.keyRevoked;
      return isExpired(key, now) ? LIVE_CLOSE.keyExpired : undefined;
    });
  }

  // One recheck at a time: a slow database must not pile them up.
  const recheck = () => (running ??= recheckOnce().finally(() => (running = undefined)));
  const timer = setInterval(() => void recheck(), deps.recheckMs);
  timer.unref();

  return {
    closeKey: (keyId, why) => closeWhere((client) => (client.identity.kind === 'api_key' && client.identity.id === keyId ? why : undefined)),
    recheck,
    stop: () => clearInterval(timer),
  };
}
