import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The raw body bytes, as the signature covers them. */
  body: Buffer;
  /** The status this receiver answered (undefined while held, or if the sender went away). */
  answered?: number;
}

/** What to do with the nth request (0-based): answer with a status, or hold it open unanswered. */
export type Responder = (n: number, req: ReceivedRequest) => number | 'hold';

/**
 * A real HTTP webhook receiver on 127.0.0.1 and an ephemeral port. It records every request with
 * its raw body and answers as the test's responder says; held requests stay open until the
 * sender gives up, dies, or the receiver closes.
 */
export async function startWebhookReceiver(responder: Responder = () => 200) {
  const requests: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  let respond = responder;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      const n = requests.push(received) - 1;
      const answer = respond(n, received);
      if (answer === 'hold') return;
      received.answered = answer;
      res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : 'no');
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/hooks/evara`,
    origin: `http://127.0.0.1:${port}`,
    requests,
    /** Changes the answers from now on. */
    setResponder(next: Responder): void {
      respond = next;
    },
    /** Requests that carried this delivery id. */
    deliveriesOf(id: string): ReceivedRequest[] {
      return requests.filter((r) => r.headers['x-evara-delivery'] === id);
    },
    async close(): Promise<void> {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type WebhookReceiver = Awaited<ReturnType<typeof startWebhookReceiver>>;
