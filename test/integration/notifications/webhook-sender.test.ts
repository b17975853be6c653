import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebhookSender } from '../../../src/shared/notifications/webhook-sender';

interface Seen {
  path: string;
  method: string;
  body: string;
  signature?: string;
}

/** A loopback server whose handler decides each answer (redirects need a Location header). */
async function server(handle: (req: http.IncomingMessage, res: http.ServerResponse, origin: string) => void) {
  const seen: Seen[] = [];
  let origin = '';
  const s = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', method: req.method ?? '', body, signature: req.headers['x-evara-signature'] as string | undefined });
      handle(req, res, origin);
    });
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  return {
    origin,
    seen,
    close: () => {
      s.closeAllConnections();
      return new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}

/** The HTTP side of delivery against real sockets: redirects, timeouts, unreachable hosts. */
describe('webhook sender', () => {
  const send = createWebhookSender({ timeoutMs: 300 });
  const headers = { 'Content-Type': 'application/json', 'X-Evara-Signature': 'sha256=abc' };

  test('when the receiver redirects within its origin, then the same body is POSTed to the new path', async () => {
    const s = await server((req, res) => (req.url === '/old' ? res.writeHead(308, { location: '/new' }).end() : res.writeHead(204).end()));
    try {
      expect(await send(`${s.origin}/old`, '{"a":1}', headers)).toEqual({ kind: 'response', status: 204 });
      expect(s.seen).toEqual([
        { path: '/old', method: 'POST', body: '{"a":1}', signature: 'sha256=abc' },
        { path: '/new', method: 'POST', body: '{"a":1}', signature: 'sha256=abc' },
      ]);
    } finally {
      await s.close();
    }
  });

  test('when the receiver redirects to another origin, then the redirect is refused and the other host gets nothing', async () => {
    const other = await server((_req, res) => res.writeHead(200).end());
    const s = await server((_req, res) => res.writeHead(307, { location: `${other.origin}/steal` }).end());
    try {
      const result = await send(`${s.origin}/hook`, '{}', headers);
      expect(result).toMatchObject({ kind: 'redirect-refused', status: 307 });
      expect(other.seen).toHaveLength(0);
    } finally {
      await s.close();
      await other.close();
    }
  });

  test('when the receiver keeps redirecting, then it stops after the limit', async () => {
    const s = await server((req, res, origin) => res.writeHead(302, { location: `${origin}${req.url}x` }).end());
    try {
      expect(await send(`${s.origin}/a`, '{}', headers)).toMatchObject({ kind: 'redirect-refused', reason: 'more than 3 redirects' });
      expect(s.seen).toHaveLength(4);
    } finally {
      await s.close();
    }
  });

  test('when the receiver does not answer in time, then the result is a timeout', async () => {
    const s = await server(() => undefined);
    try {
      const started = Date.now();
      expect(await send(`${s.origin}/slow`, '{}', headers)).toEqual({ kind: 'timeout', timeoutMs: 300 });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await s.close();
    }
  });

  test('when nothing listens, then the result is a network error naming the cause', async () => {
    const s = await server((_req, res) => res.end());
    const { origin } = s;
    await s.close();
    const result = await send(`${origin}/gone`, '{}', headers);
    expect(result).toMatchObject({ kind: 'network', message: expect.stringContaining('ECONNREFUSED') });
  });
});
