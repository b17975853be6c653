import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { createApp } from '../../../src/api/app';
import { createLiveHub, LIVE_PATH, type LiveHub } from '../../../src/api/ws/live-hub';
import type { Core } from '../../../src/shared/core';
import { createApiKeyCache } from '../../../src/shared/auth/api-key-cache';
import { waitFor } from '../../helpers/wait-for';

/* eslint-disable @typescript-eslint/no-explicit-any -- messages are JSON read back from the wire */
export interface ReceivedMessage {
  event: string;
  data: Record<string, any>;
  at: string;
}

export interface LiveTestClient {
  ws: WebSocket;
  /** Every message received so far, in order. */
  messages: ReceivedMessage[];
  welcome: ReceivedMessage;
  /** The close code once the socket closed, else undefined. */
  closeCode(): number | undefined;
  /** The close reason the server gave, once the socket closed. */
  closeReason(): string | undefined;
  /** Waits for a message of `event` whose data matches. */
  next(event: string, match?: (data: Record<string, any>) => boolean, timeoutMs?: number): Promise<ReceivedMessage>;
  all(event: string, match?: (data: Record<string, any>) => boolean): ReceivedMessage[];
  close(): void;
}

/** Opens a live socket (Bearer key, or a `?ticket=` already in the URL) and waits for its WELCOME. */
export async function connectLive(url: string, opts: { key?: string; autoPong?: boolean } = {}): Promise<LiveTestClient> {
  const ws = new WebSocket(url, { headers: opts.key ? { Authorization: `Bearer ${opts.key}` } : {}, autoPong: opts.autoPong ?? true });
  const messages: ReceivedMessage[] = [];
  let code: number | undefined;
  let reason: string | undefined;
  ws.on('message', (raw) => messages.push(JSON.parse(raw.toString()) as ReceivedMessage));
  ws.on('close', (c, r) => {
    code = c;
    reason = r.toString('utf8');
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (req, res) => {
      req.destroy();
      reject(new Error(`upgrade refused with HTTP ${res.statusCode}`));
    });
  });
  ws.on('error', () => undefined); // a terminated socket reports ECONNRESET; the close code says enough
  const all = (event: string, match: (data: Record<string, any>) => boolean = () => true) => messages.filter((m) => m.event === event && match(m.data));
  const welcome = (await waitFor(() => messages.find((m) => m.event === 'WELCOME'), { what: 'WELCOME' }))!;
  return {
    ws,
    messages,
    welcome,
    closeCode: () => code,
    closeReason: () => reason,
    all,
    next: async (event, match, timeoutMs = 10_000) =>
      (await waitFor(() => all(event, match)[0], { timeoutMs, what: `${event} on the live socket (received: ${messages.map((m) => m.event).join(', ')})` }))!,
    close: () => ws.terminate(),
  };
}

/** The HTTP answer to an upgrade the server refused. */
export function refusedUpgrade(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: any }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    ws.on('error', reject);
    ws.on('unexpected-response', (req, res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) });
        req.destroy();
      });
    });
  });
}

export interface LiveServer {
  hub: LiveHub;
  /** ws://.../api/v1/ws */
  url: string;
  httpUrl: string;
  close(): Promise<void>;
}

/** The API app and the live hub on a loopback ephemeral port, in this process, as main.ts wires them (one key cache for both). */
export async function startLiveServer(core: Core, opts: { waitForSubscription?: boolean } = {}): Promise<LiveServer> {
  const apiKeyCache = createApiKeyCache(core.repos.apiKeys, core.config.api.keyCacheMs);
  const server = http.createServer(createApp(core, { ready: true }, { apiKeyCache }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const hub = createLiveHub(server, core, { apiKeyCache });
  if (opts.waitForSubscription ?? true) await hub.subscribed;
  const { port } = server.address() as AddressInfo;
  return {
    hub,
    url: `ws://127.0.0.1:${port}${LIVE_PATH}`,
    httpUrl: `http://127.0.0.1:${port}`,
    async close() {
      await hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Issues a ticket through the HTTP route, as a browser's page would. */
export async function issueTicket(httpUrl: string, key: string): Promise<string> {
  const res = await fetch(`${httpUrl}/api/v1/ws/tickets`, { method: 'POST', headers: { Authorization: `Bearer ${key}` } });
  if (res.status !== 201) throw new Error(`ticket route answered ${res.status}`);
  return ((await res.json()) as { data: { ticket: string } }).data.ticket;
}
