// Must stay the first import (see tracing.ts).
import './tracing';
import type { Server } from 'node:http';
import { createApiKeyCache } from '../shared/auth/api-key-cache';
import { ConfigError, describeConfig, loadConfig } from '../shared/config';
import { createLogger } from '../shared/logger';
import { createCore } from '../shared/core';
import { waitForRedis } from '../shared/redis';
import { onShutdown } from '../shared/shutdown';
import { stopTracing } from '../shared/telemetry/start-tracing';
import { createApp } from './app';
import { bootstrapAdminKey } from './bootstrap-admin-key';
import { waitForDatabase } from '../shared/db/wait-for-database';
import { createLiveHub, LIVE_PATH } from './ws/live-hub';
import { createUserSignInOf } from './user-sign-in-setup';

async function main(): Promise<void> {
  const config = loadConfig(process.env, 'api');
  const log = createLogger({ service: 'api', version: config.version, level: config.logLevel });
  const core = createCore(config, log, { redisKind: 'producer' });
  const lifecycle = { ready: false };
  // The live hub needs the listening server; until it exists there are no WebSocket clients.
  let liveClients = () => 0;
  // One key cache per process: the app, the admin and metrics pages and the live hub all check keys through it.
  const apiKeyCache = createApiKeyCache(core.repos.apiKeys, config.api.keyCacheMs);
  // One Supabase sign-in per process (one JWKS cache), shared by REST and the live socket; null when not configured.
  const userSignIn = createUserSignInOf(core) ?? null;
  const app = createApp(core, lifecycle, { wsClients: () => liveClients(), apiKeyCache, userSignIn });
  if (!(await waitForDatabase(core.db, log, config.dbInit))) {
    // Start anyway: health and non-database routes answer, database routes give a fast 503, and
    // the pool reconnects by itself when the database returns.
    log.warn('starting degraded: database unavailable');
  }
  // The producer connection fails fast while connecting; give it a moment so the first requests
  // do not get a 503 for a Redis that is merely still connecting. Start anyway if it is down.
  await waitForRedis(core.redis, 5_000).catch((err: unknown) => log.warn({ err }, 'redis not ready at start: continuing degraded'));
  // After Redis: the bootstrap announces the old ADMIN_API_KEYs it revokes to the other API processes.
  const bootstrap = bootstrapAdminKey(core, apiKeyCache);

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(config.api.port, () => resolve(s));
  });
  // Longer than a load balancer's idle timeout, so it never reuses a socket we just closed.
  server.keepAliveTimeout = 65_000;
  const liveHub = createLiveHub(server, core, { apiKeyCache, userSignIn });
  liveClients = () => liveHub.clientCount();
  // Not awaited: with Redis down at start the subscriber connects (and subscribes) when Redis returns.
  liveHub.subscribed.then(
    () => log.info({ path: LIVE_PATH }, 'live events subscribed'),
    (err: unknown) => log.warn({ err }, 'live events subscription failed'),
  );
  lifecycle.ready = true;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.api.port;
  log.info({ config: describeConfig(config), port, health: '/health', readiness: '/readyz', api: '/api/v1' }, 'api started');
  for (const w of config.warnings) log.warn(w);

  onShutdown(
    log,
    [
      // First: server.close() below waits for upgraded sockets too.
      { name: 'websocket', run: () => liveHub.close() },
      {
        name: 'http',
        run: async () => {
          lifecycle.ready = false;
          bootstrap.stop();
          await new Promise<void>((resolve) => server.close(() => resolve()));
        },
      },
      { name: 'core', run: () => core.close() },
      // Last: spans of the steps above are exported too.
      { name: 'tracing', run: () => stopTracing() },
    ],
    config.shutdownTimeoutMs,
  );
  // server.close waits for open keep-alive sockets; close idle ones at once.
  process.once('SIGTERM', () => server.closeIdleConnections());
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  createLogger({ service: 'api', version: 'dev', level: 'info' }).fatal({ err }, 'api failed to start');
  process.exit(1);
});
