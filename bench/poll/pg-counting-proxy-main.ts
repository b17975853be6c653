import { createPgCountingProxy } from './pg-counting-proxy';

/**
 * The counting proxy as a process of its own (see pg-counting-proxy-process.ts): started by the
 * bench with an IPC channel, it answers `{ port }` once listening and `{ counts }` when asked.
 */
const [host, port] = [process.env.PG_PROXY_TARGET_HOST ?? '127.0.0.1', Number(process.env.PG_PROXY_TARGET_PORT ?? 5432)];
const proxy = createPgCountingProxy({ host, port });

void proxy.listen().then((listening) => process.send!({ port: listening }));
process.on('message', (message: { id: number; ask: 'counts' }) => {
  if (message.ask === 'counts') process.send!({ id: message.id, counts: proxy.counts() });
});
// The bench went away (or closed the channel): stop forwarding.
process.on('disconnect', () => void proxy.close().then(() => process.exit(0)));
