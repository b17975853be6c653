import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChannelStore, SimChannel } from './channel-store';
import type { Fault, FaultRegistry } from './faults';
import { renderChannel, renderEntry } from './feed-json';
import { sendJson, sendRaw, sleep } from './http-io';
import type { RequestStats } from './request-stats';

/**
 * ThingSpeak's read API as the ingestion code meets it: `/channels/:id/feeds.json` and
 * `/channels/:id/feeds/last.json`, with the quirks documented in design/domain.md (newest N of a
 * window, `-1` for a bad key, one-second UTC times).
 */
export const DEFAULT_RESULTS = 100;
export const MAX_RESULTS = 8000;

const FEED_PATH = /^\/channels\/([^/]+)\/(feeds?\.json|feeds\/last\.json)$/;

export interface ReadApiDeps {
  store: ChannelStore;
  faults: FaultRegistry;
  stats: RequestStats;
  /** Global artificial delay per request; a channel's own latencyMs wins when larger. */
  latencyMs: () => number;
}

/** Returns false when the path is not a read API path, so the caller can try other routes. */
export function createReadApi(deps: ReadApiDeps) {
  return async function handleRead(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const match = FEED_PATH.exec(url.pathname);
    if (!match || req.method !== 'GET') return false;
    const channelKey = decodeURIComponent(match[1]!);
    const isLast = match[2] === 'feeds/last.json';

    const ended = deps.stats.begin(channelKey);
    const gone = new AbortController();
    res.once('close', () => {
      ended();
      gone.abort();
    });

    const channelId = /^\d+$/.test(channelKey) ? Number(channelKey) : null;
    const channel = channelId === null ? undefined : deps.store.get(channelId);

    const latency = Math.max(deps.latencyMs(), channel?.latencyMs ?? 0);
    if (latency > 0 && !(await sleep(latency, gone.signal))) return true;

    const fault = deps.faults.take(channelId);
    if (fault && !(await applyFault(fault, req, res, gone.signal))) return true;

    if (!channel) {
      sendJson(res, 404, {
        status: '404',
        error: {
          error_code: 'error_resource_not_found',
          message: 'Resource not found',
          details: 'We could not find this channel. Please check the channel id.',
        },
      });
      return true;
    }
    if (channel.readKey !== undefined && url.searchParams.get('api_key') !== channel.readKey) {
      sendRaw(res, 400, '-1', 'application/json; charset=utf-8');
      return true;
    }

    if (isLast) sendLast(res, deps.store, channel);
    else sendFeed(res, deps.store, channel, url.searchParams);
    return true;
  };
}

function sendFeed(res: ServerResponse, store: ChannelStore, channel: SimChannel, params: URLSearchParams): void {
  const entries = store.selectWindow(channel.id, {
    start: parseTimeParam(params.get('start')),
    end: parseTimeParam(params.get('end')),
    results: parseResults(params.get('results')),
  });
  sendJson(res, 200, { channel: renderChannel(channel), feeds: entries.map((e) => renderEntry(channel, e)) });
}

function sendLast(res: ServerResponse, store: ChannelStore, channel: SimChannel): void {
  const last = store.lastEntry(channel.id);
  // ThingSpeak answers -1 for the last entry of an empty channel.
  if (!last) sendRaw(res, 200, '-1', 'application/json; charset=utf-8');
  else sendJson(res, 200, renderEntry(channel, last));
}

/** Returns true when the request should go on to be answered normally. */
async function applyFault(fault: Fault, req: IncomingMessage, res: ServerResponse, gone: AbortSignal): Promise<boolean> {
  switch (fault.kind) {
    case 'http500':
      sendRaw(res, 500, '<html><body><h1>500 Internal Server Error</h1></body></html>', 'text/html; charset=utf-8');
      return false;
    case 'minus1':
      sendRaw(res, 400, '-1', 'application/json; charset=utf-8');
      return false;
    case 'json401':
      sendJson(res, 401, {
        status: '401',
        error: {
          error_code: 'error_auth_required',
          message: 'Authorization Required',
          details: 'Please provide proper authentication details.',
        },
      });
      return false;
    case 'http429':
      sendJson(res, 429, { status: '429', error: { error_code: 'error_too_many_requests', message: 'Too Many Requests' } }, {
        'retry-after': String(fault.retryAfterSeconds ?? 20),
      });
      return false;
    case 'slow':
      return sleep(fault.delayMs ?? 30_000, gone);
    case 'reset':
      req.socket.destroy();
      return false;
    case 'badJson':
      sendRaw(res, 200, '{"channel":{"id":1,"name":"cut', 'application/json; charset=utf-8');
      return false;
    case 'wrongShape':
      sendJson(res, 200, { channel: { id: 'one' }, feeds: 'none' });
      return false;
  }
}

/** `results`: default 100, capped at 8000, 0 allowed; garbage falls back to the default. */
export function parseResults(value: string | null): number {
  if (value === null || !/^\d+$/.test(value)) return DEFAULT_RESULTS;
  return Math.min(Number(value), MAX_RESULTS);
}

const TIME_PARAM = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * `YYYY-MM-DD HH:NN:SS` (ThingSpeak's format) or ISO 8601, as epoch ms. Times without a zone are
 * UTC: the `timezone` parameter is ignored because Evara always asks for UTC.
 */
export function parseTimeParam(value: string | null): number | undefined {
  if (value === null) return undefined;
  const m = TIME_PARAM.exec(value.trim());
  if (!m) return undefined;
  const zone = m[3] === undefined || m[3] === 'Z' ? 'Z' : m[3].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(`${m[1]}T${m[2]}${zone}`);
  return Number.isNaN(ms) ? undefined : ms;
}
