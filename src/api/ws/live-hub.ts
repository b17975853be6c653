import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Core } from '../../shared/core';
import { AppError, NotFoundError } from '../../shared/errors';
import type { LiveEvent } from '../../shared/events/live-events';
import { canSee } from './audience-filter';
import { LiveClient } from './live-client';
import { createLiveEventsSubscriber } from './live-events-subscriber';
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
 * so a client receives events produced anywhere, whichever API copy it is connected to.
 */
export function createLiveHub(server: Server, core: Core, onApiKeyRevoked?: (keyId: string) => void): LiveHub {
  const log = core.log.child({ module: 'live-hub' });
  const { heartbeatMs, maxBufferedBytes, batchMs } = core.config.ws;
  const tickets = createWsTicketStore(core.redis, core.config.queues.prefix);
  const wss = new WebSocketServer({ noServer: true, clientTracking: false, maxPayload: MAX_INCOMING_BYTES });
  const clients = new Set<LiveClient>();
  let closing = false;

  const subscriber = createLiveEventsSubscriber(
    core.config,
    log.child({ module: 'live-events-subscriber' }),
    (event: LiveEvent) => {
      for (const client of clients) if (canSee(client.identity.scope, event.audience)) client.deliver(event);
    },
    onApiKeyRevoked,
  );

  const heartbeat = setInterval(() => {
    for (const client of clients) client.heartbeat();
  }, heartbeatMs);
  heartbeat.unref();

  function accept(socket: WebSocket, identity: LiveIdentity): void {
    const client = new LiveClient(socket, identity, { maxBufferedBytes, batchMs, log });
    clients.add(client);
    socket.on('error', (err) => log.debug({ err, keyId: identity.keyId }, 'live socket error'));
    socket.on('close', (code) => {
      clients.delete(client);
      client.dispose();
      log.info({ keyId: identity.keyId, code, clients: clients.size }, 'live client disconnected');
    });
    log.info({ keyId: identity.keyId, role: identity.scope.role, clients: clients.size }, 'live client connected');
    client.send({ event: 'WELCOME', data: { ...identity.scope, heartbeatMs, batchMs }, at: new Date().toISOString() });
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
    try {
      if (closing) throw shuttingDown();
      identity = await authenticateUpgrade(req, { apiKeys: core.repos.apiKeys, tickets });
      if (closing) throw shuttingDown();
    } catch (err) {
      rejectUpgrade(req, socket, err, log);
      return;
    }
    if (socket.destroyed) return;
    socket.off('error', onEarlyError);
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, identity));
  }

  const upgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void onUpgrade(req, socket, head);
  server.on('upgrade', upgradeListener);

  return {
    clientCount: () => clients.size,
    subscribed: subscriber.subscribed,
    async close() {
      closing = true;
      clearInterval(heartbeat);
      const closed = [...clients].map((c) => new Promise<void>((resolve) => c.socket.once('close', () => resolve())));
      for (const client of clients) client.close(1001, 'server shutting down');
      let graceTimer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(closed), new Promise<void>((resolve) => (graceTimer = setTimeout(resolve, CLOSE_GRACE_MS)))]);
      clearTimeout(graceTimer);
      for (const client of clients) client.socket.terminate();
      wss.close();
      await subscriber.close();
    },
  };
}

function shuttingDown(): AppError {
  return new AppError('The server is shutting down; reconnect to another instance', { code: 'SHUTTING_DOWN', kind: 'operational', httpStatus: 503 });
}
