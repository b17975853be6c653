import { apiKeyRevocationsChannel, type ApiKeyCache } from '../shared/auth/api-key-cache';
import type { BootstrapOutcome } from '../shared/auth/api-keys.repository';
import type { Core } from '../shared/core';

/**
 * Makes ADMIN_API_KEY the working superadmin key and revokes the bootstrap keys of earlier
 * ADMIN_API_KEYs (the rotation: a new value retires the old one everywhere). A revoked
 * ADMIN_API_KEY is never restored: the start warns instead. If the database is down at start it
 * keeps trying in the background, so the API can start (and report degraded) instead of crashing.
 * `stop` ends the retries; `outcome` resolves once a try succeeded (never without ADMIN_API_KEY).
 */
export function bootstrapAdminKey(core: Core, cache: Pick<ApiKeyCache, 'invalidate'>): { stop(): void; outcome: Promise<BootstrapOutcome> } {
  const key = core.config.api.adminApiKey;
  if (!key) return { stop: () => undefined, outcome: new Promise(() => undefined) };
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let delay = 2_000;
  let done: (outcome: BootstrapOutcome) => void = () => undefined;
  const outcome = new Promise<BootstrapOutcome>((resolve) => (done = resolve));
  const attempt = async () => {
    let result: BootstrapOutcome;
    try {
      result = await core.repos.apiKeys.ensureBootstrapAdmin(key);
    } catch (err) {
      core.log.warn({ err, retryInMs: delay }, 'could not store the bootstrap admin key yet');
      if (!stopped) {
        timer = setTimeout(() => void attempt(), delay);
        delay = Math.min(delay * 2, 60_000);
      }
      return;
    }
    if (result.revoked) {
      core.log.warn(
        { keyId: result.keyId },
        'ADMIN_API_KEY is revoked and stays revoked: it is refused everywhere. Set a new ADMIN_API_KEY (openssl rand -base64 32) and restart',
      );
    } else {
      core.log.info({ keyId: result.keyId }, 'bootstrap admin key ready');
    }
    if (result.revokedOthers.length > 0) core.log.info({ keyIds: result.revokedOthers }, 'earlier bootstrap admin keys revoked');
    await announceRevocations(core, cache, result.revokedOthers);
    done(result);
  };
  void attempt();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
    outcome,
  };
}

/** As the revoke route does: other API processes still running with an old key drop it from their caches and close its sockets. */
async function announceRevocations(core: Core, cache: Pick<ApiKeyCache, 'invalidate'>, keyIds: string[]): Promise<void> {
  const channel = apiKeyRevocationsChannel(core.config.queues.prefix);
  for (const keyId of keyIds) {
    cache.invalidate(keyId);
    await core.redis.publish(channel, keyId).catch((err: unknown) => {
      core.log.warn({ err, keyId }, 'revocation not announced to other API processes: they refuse the key within API_KEY_CACHE_MS');
    });
  }
}
