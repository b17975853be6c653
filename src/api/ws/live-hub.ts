import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Core } from '../../shared/core';
import { createApiKeyCache, type ApiKeyCache } from '../../shared/auth/api-key-cache';
import { AppError, isAppError, NotFoundError } from '../../shared/errors';
import type { LiveEvent } from '../../shared/events/live-events';
import { TenantLimitReachedError } from '../../shared/tenancy/tenant-limits';
import { createUpgradeRateLimits } from '../rate-limit/rate-limits';
import { canSee } from './audience-filter';
import { LiveClient } from './live-client';
import { LIVE_CLOSE } from './live-close-codes';
import { createLiveEventsSubscriber } from './live-events-subscriber';
import { createLiveKeyWatch } from './live-key-watch';
import { createLiveUserWatch } from './live-user-watch';
import type { UserSignIn } from '../../shared/auth/user-sign-in';
import { createUserSignInOf } from '../user-sign-in-setup';
import { createLiveSocketSlots, SLOT_RENEW_MS } from './live-socket-slots';
import { createUpgradeClientBucket } from './upgrade-client-address';
import { authenticateUpgrade, type LiveIdentity } from './upgrade-auth';
import { rejectUpgrade } from './upgrade-rejection';
import { createWsTicketStore } from './ws-tickets';

export const LIVE_PATH = '/api/v1/ws';

// Clients only listen; anything they send is ignored, so there is no reason to accept much of it.
const MAX_INCOMING_BYTES = 4 * 1024;
// How long closing clients get to answer the 1001 close frame at shutdown before they are cut.
const CLOSE_GRACE_MS = 2_000;

export interface LiveHub {
  /** Connected, authenticated clients of this process (for metrics). */
  clientCount(): number;
  /** Resolves once this process receives live events from Redis. */
  subscribed: Promise<void>;
  /** Closes every client with 1001, refuses new ones and unsubscribes. */
  close(): Promise<void>;
}

export interface LiveHubOptions {
  /** The process's key cache, shared with the app (main.ts): a revocation seen by either closes the key's sockets. A private one when absent. */
  apiKeyCache?: ApiKeyCache;
  /** The process's Supabase sign-in, shared with the app (main.ts); built here when absent (tests). Null: sign-in is off. */
  userSignIn?: UserSignIn | null;
}

function pathOf(req: IncomingMessage): string | undefined {
  try {
    return new URL(req.url ?? '/', 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

/**
 * The live WebSocket at /api/v1/ws on the API's HTTP server. Every API process subscribes to the
 * live-events channel and delivers each event to those of its own clients whose scope may see it,
 * so a client receives events produced anywhere, whichever API copy it is connected to. A socket
 * lives only as long as its key: a revocation (here or announced over Redis) closes it at once,
 * and the periodic key recheck closes those of revoked or expired keys (live-key-watch.ts).
 * Upgrades are rate limited per client address like REST requests (bad keys count in the same
 * counter), and one key may hold at most TENANT_MAX_LIVE_SOCKETS_PER_KEY sockets across every API
 * process (live-socket-slots.ts).
 */
export function createLiveHub(server: Server, core: Core, opts: LiveHubOptions = {}): LiveHub {
  const log = core.log.child({ module: 'live-hub' });
  const { heartbeatMs, maxBufferedBytes, batchMs, keyRecheckMs, userRecheckMs, maxAgeMs } = core.config.ws;
  const apiKeyCache = opts.apiKeyCache ?? createApiKeyCache(core.repos.apiKeys, core.config.api.keyCacheMs);
  const tickets = createWsTicketStore(core.redis, core.config.queues.prefix);
  const wss = new WebSocketServer({ noServer: true, clientTracking: false, maxPayload: MAX_INCOMING_BYTES });
  const clients = new Set<LiveClient>();
  const limits = createUpgradeRateLimits(core);
  const bucketOf = createUpgradeClientBucket(core.config.api.trustProxy);
  const maxSockets = core.config.tenantLimits.liveSocketsPerKey;
  const slots = createLiveSocketSlots(core.redis, core.config.queues.prefix, maxSockets);
  const slotOf = new Map<LiveClient, string>();
  let closing = false;

  const userSignIn = opts.userSignIn === undefined ? createUserSignInOf(core) : (opts.userSignIn ?? undefined);
  const keyWatch = createLiveKeyWatch({ clients, findKeys: (ids) => core.repos.apiKeys.findByIds(ids), recheckMs: keyRecheckMs, log });
  const userWatch = createLiveUserWatch({ clients, findUsers: (ids) => core.repos.users.findByIds(ids), recheckMs: userRecheckMs, log });
  const stopWatchingRevocations = apiKeyCache.onInvalidate((keyId) => keyWatch.closeKey(keyId, LIVE_CLOSE.keyRevoked));
  const subscriber = createLiveEventsSubscriber(
    core.config,
    log.child({ module: 'live-events-subscriber' }),
    (event: LiveEvent) => {
      for (const client of clients) if (canSee(client.identity.scope, event.audience)) client.deliver(event);
    },
    (keyId) => apiKeyCache.invalidate(keyId),
    (userId) => void userWatch.checkUser(userId),
    () => {
      // Revocations and user changes announced while Redis was away (or lost with it) were never heard here.
      apiKeyCache.forgetAll();
      void keyWatch.recheck();
      void userWatch.recheck();
    },
  );

  const heartbeat = setInterval(() => {
    for (const client of clients) client.heartbeat();
  }, heartbeatMs);
  heartbeat.unref();

  const releaseSlot = (keyId: string, slot: string) =>
    void slots.release(keyId, slot).catch((err: unknown) => log.warn({ err, keyId }, 'live socket slot not released: it frees up when its lease ends'));
  const renewal = setInterval(() => {
    const held = [...slotOf].map(([client, slot]) => ({ keyId: client.identity.callerId, slot }));
    slots.renew(held).catch((err: unknown) => log.warn({ err, sockets: held.length }, 'live socket slots not renewed: retried at the next renewal'));
  }, SLOT_RENEW_MS);
  renewal.unref();

  function accept(socket: WebSocket, identity: LiveIdentity, slot: string): void {
    // A user's socket lasts no longer than the token that opened it: the client reconnects with a fresh one.
    const age = identity.closesAtMs === undefined ? maxAgeMs : Math.max(1_000, Math.min(maxAgeMs, identity.closesAtMs - Date.now()));
    const client = new LiveClient(socket, identity, { maxBufferedBytes, batchMs, maxAgeMs: age, log });
    clients.add(client);
    slotOf.set(client, slot);
    socket.on('error', (err) => log.debug({ err, caller: identity.callerId }, 'live socket error'));
    socket.on('close', (code) => {
      clients.delete(client);
      slotOf.delete(client);
      releaseSlot(identity.callerId, slot);
      client.dispose();
      log.info({ caller: identity.callerId, code, clients: clients.size }, 'live client disconnected');
    });
    log.info({ caller: identity.callerId, role: identity.scope.role, clients: clients.size }, 'live client connected');
    client.send({ event: 'WELCOME', data: { ...identity.scope, heartbeatMs, batchMs }, at: new Date().toISOString() });
  }

  /** The per-address rate limits, then the key; a refused authentication counts against the address as a REST 401 does. */
  async function admitAndAuthenticate(req: IncomingMessage): Promise<LiveIdentity> {
    const bucket = bucketOf(req);
    // Before the key is looked up: an address that keeps sending bad keys costs no more lookups.
    await limits.admit(bucket);
    try {
      return await authenticateUpgrade(req, {
        authenticators: { apiKey: (key) => apiKeyCache.authenticate(key), userToken: userSignIn },
        findKeyById: (id) => core.repos.apiKeys.findById(id),
        findUserById: (id) => core.repos.users.findById(id),
        tickets,
      });
    } catch (err) {
      if (isAppError(err) && err.httpStatus === 401) await limits.countFailedAuth(bucket);
      throw err;
    }
  }

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // A peer that resets the connection while we authenticate must not become an uncaught error.
    const onEarlyError = () => socket.destroy();
    socket.on('error', onEarlyError);
    const path = pathOf(req);
    if (path !== LIVE_PATH) {
      rejectUpgrade(req, socket, new NotFoundError(`No WebSocket at ${path ?? 'this path'}: use ${LIVE_PATH}`, 'ROUTE_NOT_FOUND'), log);
      return;
    }
    let identity: LiveIdentity;
    let slot: string;
    try {
      if (closing) throw shuttingDown();
      identity = await admitAndAuthenticate(req);
      const taken = await slots.acquire(identity.callerId);
      if (!taken.taken) throw socketCapReached(identity, maxSockets, taken.open);
      slot = taken.slot;
      if (closing) {
        releaseSlot(identity.callerId, slot);
        throw shuttingDown();
      }
    } catch (err) {
      rejectUpgrade(req, socket, err, log);
      return;
    }
    if (socket.destroyed) {
      releaseSlot(identity.callerId, slot);
      return;
    }
    socket.off('error', onEarlyError);
    // Should ws refuse the handshake itself, the slot is never renewed and frees up when its lease ends.
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, identity, slot));
  }

  const upgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void onUpgrade(req, socket, head);
  server.on('upgrade', upgradeListener);

  return {
    clientCount: () => clients.size,
    subscribed: subscriber.subscribed,
    async close() {
      closing = true;
      clearInterval(heartbeat);
      clearInterval(renewal);
      keyWatch.stop();
      userWatch.stop();
      stopWatchingRevocations();
      const closed = [...clients].map((c) => new Promise<void>((resolve) => c.socket.once('close', () => resolve())));
      for (const client of clients) client.close(LIVE_CLOSE.shuttingDown);
      let graceTimer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(closed), new Promise<void>((resolve) => (graceTimer = setTimeout(resolve, CLOSE_GRACE_MS)))]);
      clearTimeout(graceTimer);
      for (const client of clients) client.socket.terminate();
      wss.close();
      await subscriber.close();
    },
  };
}

function socketCapReached(identity: LiveIdentity, max: number, open: number): TenantLimitReachedError {
  const per = identity.kind === 'api_key' ? `API key ${identity.id}` : `user ${identity.id}`;
  return new TenantLimitReachedError({ what: 'open live sockets', per, max, setting: 'TENANT_MAX_LIVE_SOCKETS_PER_KEY', remedy: 'close one before opening another' }, open);
}

function shuttingDown(): AppError {
  return new AppError('The server is shutting down; reconnect to another instance', { code: 'SHUTTING_DOWN', kind: 'operational', httpStatus: 503 });
}
