import { request, type Dispatcher } from 'undici';
import { createAddressPolicy } from '../net/address-policy';
import type { Cidr } from '../net/cidr-list';
import { createGuardedDispatcher } from '../net/guarded-dispatcher';
import type { Resolve } from '../net/guarded-lookup';
import { classifySendError, type ConnectionErrorClass } from './send-failure';

/**
 * What one POST to a receiver came to; never carries the body or the headers. `reason` may be
 * shown to the tenant; `detail` (addresses, ports, system errors) is for operators' logs only.
 */
export type SendResult =
  | { kind: 'response'; status: number }
  | { kind: 'timeout'; timeoutMs: number }
  | { kind: 'failed'; errorClass: ConnectionErrorClass; code?: string; detail: string }
  | { kind: 'redirect-refused'; status: number; errorClass: 'redirect_refused' | 'too_many_redirects'; reason: string; detail: string };

export interface WebhookSenderOptions {
  timeoutMs: number;
  /** Same-origin redirects followed at most (re-POSTing the same body); other origins are refused. */
  maxRedirects?: number;
  /** Non-public ranges deliveries may still reach (WEBHOOK_ALLOWED_PRIVATE_CIDRS); required so no sender is unguarded by accident. */
  allowedPrivateCidrs: readonly Cidr[];
  /** Name resolution; tests inject one to point a public-looking name inside. */
  resolve?: Resolve;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * POSTs a signed body with one deadline for the whole exchange, through the guarded dispatcher:
 * every connection, redirect hops included, is checked on the address it really reaches.
 * Redirects are handled by hand: a redirect to another origin (or from https to http) would hand
 * the payload and its signature to a host nobody subscribed, so it is refused; one within the
 * origin is followed with the same method and body. Response bodies are discarded unread.
 */
export function createWebhookSender(opts: WebhookSenderOptions) {
  const maxRedirects = opts.maxRedirects ?? 3;
  const dispatcher: Dispatcher = createGuardedDispatcher({
    policy: createAddressPolicy({ allowedCidrs: opts.allowedPrivateCidrs }),
    resolve: opts.resolve,
    connectTimeoutMs: opts.timeoutMs,
  });

  return async function send(url: string, body: string, headers: Record<string, string>): Promise<SendResult> {
    const signal = AbortSignal.timeout(opts.timeoutMs);
    let target = new URL(url);
    try {
      for (let hop = 0; ; hop++) {
        const res = await request(target, { method: 'POST', body, headers, signal, dispatcher });
        await res.body.dump().catch(() => undefined);
        if (!REDIRECTS.has(res.statusCode)) return { kind: 'response', status: res.statusCode };
        const location = [res.headers.location].flat()[0];
        if (!location) return { kind: 'response', status: res.statusCode };
        const next = URL.canParse(location, target.href) ? new URL(location, target) : undefined;
        if (!next) return { kind: 'redirect-refused', status: res.statusCode, errorClass: 'redirect_refused', reason: 'redirected to an invalid Location', detail: `Location ${location.slice(0, 200)}` };
        if (next.origin !== target.origin) {
          return {
            kind: 'redirect-refused',
            status: res.statusCode,
            errorClass: 'redirect_refused',
            reason: 'redirected to another origin; webhooks only follow redirects within the subscribed origin',
            detail: `redirected to ${next.protocol}//${next.host}`,
          };
        }
        if (hop >= maxRedirects) return { kind: 'redirect-refused', status: res.statusCode, errorClass: 'too_many_redirects', reason: `more than ${maxRedirects} redirects`, detail: `last hop ${next.pathname}` };
        target = next;
      }
    } catch (err) {
      if (signal.aborted) return { kind: 'timeout', timeoutMs: opts.timeoutMs };
      return { kind: 'failed', ...classifySendError(err) };
    }
  };
}

export type WebhookSender = ReturnType<typeof createWebhookSender>;
