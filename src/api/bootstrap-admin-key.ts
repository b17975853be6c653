import type { Core } from '../shared/core';

/**
 * Makes ADMIN_API_KEY a working superadmin key. If the database is down at start it keeps trying
 * in the background, so the API can start (and report degraded) instead of crashing.
 * Returns a function that stops the retries.
 */
export function bootstrapAdminKey(core: Core): () => void {
  const key = core.config.api.adminApiKey;
  if (!key) return () => undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let delay = 2_000;
  const attempt = async () => {
    try {
      await core.repos.apiKeys.ensureBootstrapAdmin(key);
      core.log.info('bootstrap admin key ready');
    } catch (err) {
      core.log.warn({ err, retryInMs: delay }, 'could not store the bootstrap admin key yet');
      if (!stopped) {
        timer = setTimeout(() => void attempt(), delay);
        delay = Math.min(delay * 2, 60_000);
      }
    }
  };
  void attempt();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
