import WebSocket from 'ws';
import type { Logger } from '../../shared/logger';
import type { LiveEvent } from '../../shared/events/live-events';
import type { LiveIdentity } from './upgrade-auth';
import { LIVE_CLOSE, type LiveCloseReason } from './live-close-codes';

/** What a client receives: the dashboard's `{event, data}` plus the time the event happened. */
export interface LiveMessage {
  event: string;
  data: Record<string, unknown>;
  at: string;
}

export interface LiveClientOptions {
  /** Unsent bytes above which the client is too slow and is dropped. */
  maxBufferedBytes: number;
  /** STATUS_UPDATE batching window; 0 sends each one at once. */
  batchMs: number;
  /** Age at which the socket is closed (4408) so the client reconnects with a fresh ticket. */
  maxAgeMs: number;
  log: Logger;
}

// Up to this share of the maximum age is taken off at random, so sockets opened together (after a
// deploy) do not all come back together.
const MAX_AGE_JITTER = 0.1;

/**
 * One connected socket: sends what the hub hands it, batches status changes, drops itself when it
 * cannot keep up or stops answering pings, and closes itself at its maximum age. Filtering by
 * scope, and closing the sockets of keys that stopped being valid, are the hub's job.
 */
export class LiveClient {
  private answeredPing = true;
  private gone = false;
  // Latest status per node within the window: a node that flaps is sent once, and the buffer is
  // bounded by the number of nodes the client may see.
  private readonly pendingStatus = new Map<string, LiveMessage>();
  private batchTimer: NodeJS.Timeout | undefined;
  private readonly maxAgeTimer: NodeJS.Timeout;

  constructor(
    readonly socket: WebSocket,
    readonly identity: LiveIdentity,
    private readonly opts: LiveClientOptions,
  ) {
    socket.on('pong', () => {
      this.answeredPing = true;
    });
    const age = opts.maxAgeMs - Math.floor(Math.random() * opts.maxAgeMs * MAX_AGE_JITTER);
    this.maxAgeTimer = setTimeout(() => this.close(LIVE_CLOSE.maxAge), age);
    this.maxAgeTimer.unref();
  }

  deliver(event: LiveEvent): void {
    const message: LiveMessage = { event: event.event, data: event.data, at: event.at };
    if (event.event !== 'STATUS_UPDATE' || this.opts.batchMs === 0) {
      this.send(message);
      return;
    }
    const nodeId = String(event.data.node_id ?? `unknown-${this.pendingStatus.size}`);
    this.pendingStatus.delete(nodeId); // re-inserted last: the batch keeps the order of the latest changes
    this.pendingStatus.set(nodeId, message);
    this.batchTimer ??= setTimeout(() => this.flushStatus(), this.opts.batchMs);
  }

  /**
   * Sends the window's status changes: one as STATUS_UPDATE, several as
   * BATCH_STATUS_UPDATE {updates: [{event: 'STATUS_UPDATE', data: {node_id, status}, at}, ...]}.
   */
  private flushStatus(): void {
    this.batchTimer = undefined;
    const updates = [...this.pendingStatus.values()];
    this.pendingStatus.clear();
    if (updates.length === 1) this.send(updates[0]!);
    else if (updates.length > 1) this.send({ event: 'BATCH_STATUS_UPDATE', data: { updates }, at: new Date().toISOString() });
  }

  send(message: LiveMessage): void {
    if (this.gone || this.socket.readyState !== WebSocket.OPEN) return;
    if (this.socket.bufferedAmount > this.opts.maxBufferedBytes) {
      // A close frame would wait behind the backlog the client is not reading: cut the connection.
      this.drop('too slow', { bufferedBytes: this.socket.bufferedAmount, maxBufferedBytes: this.opts.maxBufferedBytes });
      return;
    }
    this.socket.send(JSON.stringify(message));
  }

  /** Called once per heartbeat: drops a client that did not answer the previous ping, else pings again. */
  heartbeat(): void {
    if (this.gone) return;
    if (!this.answeredPing) {
      this.drop('no pong', {});
      return;
    }
    this.answeredPing = false;
    this.socket.ping();
  }

  /** Starts the closing handshake with `why`; false (and nothing done) when already closing or dropped. */
  close(why: LiveCloseReason): boolean {
    if (this.gone) return false;
    this.dispose();
    this.socket.close(why.code, why.reason);
    return true;
  }

  /** Stops timers and forgets buffered updates; the socket is closed or closing. */
  dispose(): void {
    this.gone = true;
    clearTimeout(this.maxAgeTimer);
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    this.pendingStatus.clear();
  }

  private drop(reason: string, details: Record<string, unknown>): void {
    this.dispose();
    this.opts.log.warn({ caller: this.identity.callerId, role: this.identity.scope.role, reason, ...details }, 'live client dropped');
    this.socket.terminate();
  }
}
