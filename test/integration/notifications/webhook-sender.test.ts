import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { parseCidrList } from '../../../src/shared/net/cidr-list';
import { createWebhookSender } from '../../../src/shared/notifications/webhook-sender';

interface Seen {
  path: string;
  method: string;
  body: string;
  signature?: string;
  host?: string;
}

/** A loopback server whose handler decides each answer (redirects need a Location header). */
async function server(handle: (req: http.IncomingMessage, res: http.ServerResponse, origin: string) => void) {
  const seen: Seen[] = [];
  let origin = '';
  const s = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', method: req.method ?? '', body, signature: req.headers['x-evara-signature'] as string | undefined, host: req.headers.host });
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

const LOOPBACK = parseCidrList('127.0.0.0/8,::1/128').cidrs;

/** A resolver with a fixed zone file, so a public-looking name can point inside with no DNS. */
const zone = (records: Record<string, string>) => async (hostname: string): Promise<LookupAddress[]> => {
  const address = records[hostname];
  if (!address) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return [{ address, family: address.includes(':') ? 6 : 4 }];
};

/** The HTTP side of delivery against real sockets: redirects, timeouts, unreachable hosts, the address policy. */
describe('webhook sender', () => {
  // Test receivers are on loopback; the tests under "address policy" use the production default.
  const send = createWebhookSender({ timeoutMs: 300, allowedPrivateCidrs: LOOPBACK });
  const headers = { 'Content-Type': 'application/json', 'X-Evara-Signature': 't=1,v1=abc' };

  test('when the receiver redirects within its origin, then the same body is POSTed to the new path', async () => {
    const s = await server((req, res) => (req.url === '/old' ? res.writeHead(308, { location: '/new' }).end() : res.writeHead(204).end()));
    try {
      expect(await send(`${s.origin}/old`, '{"a":1}', headers)).toEqual({ kind: 'response', status: 204 });
      expect(s.seen).toEqual([
        { path: '/old', method: 'POST', body: '{"a":1}', signature: 't=1,v1=abc', host: s.origin.slice('http://'.length) },
        { path: '/new', method: 'POST', body: '{"a":1}', signature: 't=1,v1=abc', host: s.origin.slice('http://'.length) },
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
      expect(result).toMatchObject({ kind: 'redirect-refused', status: 307, errorClass: 'redirect_refused', detail: `redirected to ${other.origin}` });
      expect(result).toMatchObject({ reason: expect.not.stringContaining('127.0.0.1') });
      expect(other.seen).toHaveLength(0);
    } finally {
      await s.close();
      await other.close();
    }
  });

  test('when the receiver keeps redirecting, then it stops after the limit', async () => {
    const s = await server((req, res, origin) => res.writeHead(302, { location: `${origin}${req.url}x` }).end());
    try {
      expect(await send(`${s.origin}/a`, '{}', headers)).toMatchObject({ kind: 'redirect-refused', errorClass: 'too_many_redirects', reason: 'more than 3 redirects' });
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

  test('when nothing listens, then the class is connection_refused and the cause is in the operator detail', async () => {
    const s = await server((_req, res) => res.end());
    const { origin } = s;
    await s.close();
    const result = await send(`${origin}/gone`, '{}', headers);
    expect(result).toMatchObject({ kind: 'failed', errorClass: 'connection_refused', detail: expect.stringContaining('ECONNREFUSED') });
  });

  test('when the host name does not resolve, then the class is dns', async () => {
    const resolving = createWebhookSender({ timeoutMs: 300, allowedPrivateCidrs: LOOPBACK, resolve: zone({}) });
    expect(await resolving('http://nowhere.example/hook', '{}', headers)).toMatchObject({ kind: 'failed', errorClass: 'dns' });
  });

  describe('address policy (the production default: public addresses only)', () => {
    test.each(['127.0.0.1', '[::ffff:127.0.0.1]', '[::1]'])('when the URL names %s, then nothing is sent and the class is blocked_address', async (host) => {
      const s = await server((_req, res) => res.writeHead(200).end());
      try {
        const publicOnly = createWebhookSender({ timeoutMs: 1_000, allowedPrivateCidrs: [] });
        const port = new URL(s.origin).port;
        const result = await publicOnly(`http://${host}:${port}/hook`, '{}', headers);
        expect(result).toMatchObject({ kind: 'failed', errorClass: 'blocked_address' });
        expect(s.seen).toHaveLength(0);
      } finally {
        await s.close();
      }
    });

    test('when a name (accepted at creation: names are not resolved then) resolves to loopback at send time, as with DNS rebinding, then it is refused at connect time', async () => {
      const s = await server((_req, res) => res.writeHead(200).end());
      try {
        const rebinding = createWebhookSender({ timeoutMs: 1_000, allowedPrivateCidrs: [], resolve: zone({ 'hooks.customer.example': '127.0.0.1' }) });
        const result = await rebinding(`http://hooks.customer.example:${new URL(s.origin).port}/hook`, '{}', headers);
        expect(result).toMatchObject({ kind: 'failed', errorClass: 'blocked_address', detail: expect.stringContaining('hooks.customer.example is 127.0.0.1') });
        expect(s.seen).toHaveLength(0);
      } finally {
        await s.close();
      }
    });

    test('when the name resolves inside an allowed range, then the request goes through the guarded lookup with its Host header', async () => {
      const s = await server((_req, res) => res.writeHead(204).end());
      try {
        const onPremise = createWebhookSender({ timeoutMs: 1_000, allowedPrivateCidrs: parseCidrList('127.0.0.0/8').cidrs, resolve: zone({ 'hooks.onprem.example': '127.0.0.1' }) });
        const port = new URL(s.origin).port;
        expect(await onPremise(`http://hooks.onprem.example:${port}/hook`, '{}', headers)).toEqual({ kind: 'response', status: 204 });
        expect(s.seen).toEqual([expect.objectContaining({ path: '/hook', host: `hooks.onprem.example:${port}` })]);
      } finally {
        await s.close();
      }
    });
  });
});
