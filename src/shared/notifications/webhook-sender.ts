import { scrubSecrets } from '../logger';

/** What one POST to a receiver came to; never carries the body, the headers or the full URL. */
export type SendResult =
  | { kind: 'response'; status: number }
  | { kind: 'timeout'; timeoutMs: number }
  | { kind: 'network'; message: string }
  | { kind: 'redirect-refused'; status: number; reason: string };

export interface WebhookSenderOptions {
  timeoutMs: number;
  /** Same-origin redirects followed at most (re-POSTing the same body); other origins are refused. */
  maxRedirects?: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function networkMessage(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const text = cause?.message ? `${cause.code ? `${cause.code}: ` : ''}${cause.message}` : String((err as Error).message ?? err);
  return scrubSecrets(text).slice(0, 300);
}

/**
 * POSTs a signed body with one deadline for the whole exchange. Redirects are handled by hand: a
 * redirect to another origin (or from https to http) would hand the payload and its signature to
 * a host nobody subscribed, so it is refused; one within the origin is followed with the same
 * method and body. Response bodies are discarded unread: only the status matters.
 */
export function createWebhookSender(opts: WebhookSenderOptions) {
  const maxRedirects = opts.maxRedirects ?? 3;

  return async function send(url: string, body: string, headers: Record<string, string>): Promise<SendResult> {
    const signal = AbortSignal.timeout(opts.timeoutMs);
    let target = new URL(url);
    try {
      for (let hop = 0; ; hop++) {
        const res = await fetch(target, { method: 'POST', body, headers, redirect: 'manual', signal });
        await res.body?.cancel().catch(() => undefined);
        if (!REDIRECTS.has(res.status)) return { kind: 'response', status: res.status };
        const location = res.headers.get('location');
        if (!location) return { kind: 'response', status: res.status };
        const next = URL.canParse(location, target.href) ? new URL(location, target) : undefined;
        if (!next) return { kind: 'redirect-refused', status: res.status, reason: 'redirected to an invalid Location' };
        if (next.origin !== target.origin) {
          return { kind: 'redirect-refused', status: res.status, reason: `redirected to another origin (${next.protocol}//${next.host}); webhooks only follow redirects within the subscribed origin` };
        }
        if (hop >= maxRedirects) return { kind: 'redirect-refused', status: res.status, reason: `more than ${maxRedirects} redirects` };
        target = next;
      }
    } catch (err) {
      if (signal.aborted || (err as Error).name === 'TimeoutError') return { kind: 'timeout', timeoutMs: opts.timeoutMs };
      return { kind: 'network', message: networkMessage(err) };
    }
  };
}

export type WebhookSender = ReturnType<typeof createWebhookSender>;
