import { scrubSecrets } from '../logger';

/**
 * Why a webhook attempt failed, as tenants see it in the delivery log. A class, never the
 * address, port or system error text: those describe our network (the delivery log of a URL
 * pointed inside would otherwise be a port scanner). Operators get the detail in server logs.
 */
export const DELIVERY_ERROR_CLASSES = [
  'blocked_address',
  'dns',
  'timeout',
  'tls',
  'connection_refused',
  'connection_reset',
  'unreachable',
  'network',
  'http_3xx',
  'http_4xx',
  'http_5xx',
  'redirect_refused',
  'too_many_redirects',
] as const;

export type DeliveryErrorClass = (typeof DELIVERY_ERROR_CLASSES)[number];

/** Classes a failed connection (no HTTP answer) can have. */
export type ConnectionErrorClass = Extract<DeliveryErrorClass, 'blocked_address' | 'dns' | 'timeout' | 'tls' | 'connection_refused' | 'connection_reset' | 'unreachable' | 'network'>;

const BY_CODE: Record<string, ConnectionErrorClass> = {
  ERR_BLOCKED_ADDRESS: 'blocked_address',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  EAI_NODATA: 'dns',
  EAI_NONAME: 'dns',
  ENODATA: 'dns',
  ECONNREFUSED: 'connection_refused',
  ECONNRESET: 'connection_reset',
  EPIPE: 'connection_reset',
  UND_ERR_SOCKET: 'connection_reset',
  UND_ERR_CLOSED: 'connection_reset',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EHOSTDOWN: 'unreachable',
  ENETDOWN: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
  ETIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  EPROTO: 'tls',
};

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|HOSTNAME_MISMATCH$)/;

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** The error and what it wraps (undici causes, happy-eyeballs AggregateErrors), outermost first. */
function chainOf(err: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  const queue: unknown[] = [err];
  while (queue.length > 0 && chain.length < 8) {
    const e = queue.shift();
    if (!e || typeof e !== 'object') continue;
    const like = e as ErrorLike;
    chain.push(like);
    queue.push(like.cause);
    if (Array.isArray(like.errors)) queue.push(...(like.errors as unknown[]));
  }
  return chain;
}

/** The class of a connection failure, and the detail for operators' logs (scrubbed of secrets). */
export function classifySendError(err: unknown): { errorClass: ConnectionErrorClass; code?: string; detail: string } {
  const chain = chainOf(err);
  for (const e of chain) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (!code) continue;
    const known = BY_CODE[code] ?? (TLS_CODE.test(code) ? 'tls' : undefined);
    if (known) return { errorClass: known, code, detail: detailOf(e) };
  }
  return { errorClass: 'network', detail: detailOf(chain.at(-1) ?? {}) };
}

function detailOf(e: ErrorLike): string {
  const code = typeof e.code === 'string' ? `${e.code}: ` : '';
  return scrubSecrets(`${code}${String(e.message ?? 'unknown error')}`).slice(0, 300);
}
