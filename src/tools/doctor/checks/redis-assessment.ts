import { mustFix, ok, warn, type Finding } from '../finding';

/** BullMQ refuses older servers (RedisConnection.minimumVersion) and warns below the recommended one. */
export const BULLMQ_MIN_REDIS = '5.0.0';
export const BULLMQ_RECOMMENDED_REDIS = '6.2.0';
const CHECK = 'redis';

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** `field:value` lines of an INFO reply. */
export function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) fields[line.slice(0, at)] = line.slice(at + 1).trim();
  }
  return fields;
}

export function assessRedisVersion(version: string | undefined): Finding {
  if (!version) return warn(CHECK, 'the server did not report redis_version (not Redis?)', `BullMQ needs Redis ${BULLMQ_MIN_REDIS}+, ${BULLMQ_RECOMMENDED_REDIS}+ recommended`);
  if (compareVersions(version, BULLMQ_MIN_REDIS) < 0) {
    return mustFix(CHECK, `Redis ${version} is too old: BullMQ refuses anything below ${BULLMQ_MIN_REDIS}`, 'upgrade to Redis 7');
  }
  if (compareVersions(version, BULLMQ_RECOMMENDED_REDIS) < 0) {
    return warn(CHECK, `Redis ${version} works, but BullMQ recommends ${BULLMQ_RECOMMENDED_REDIS} or later`, 'upgrade to Redis 7');
  }
  return ok(CHECK, `Redis ${version} (BullMQ needs ${BULLMQ_MIN_REDIS}+, recommends ${BULLMQ_RECOMMENDED_REDIS}+)`);
}

/** Any eviction policy lets Redis delete queue and lock keys under memory pressure: jobs vanish. */
export function assessEvictionPolicy(policy: string | undefined): Finding {
  if (policy === undefined) {
    return warn(
      CHECK,
      'could not read maxmemory-policy (INFO memory lacks it and CONFIG GET was refused, as on some managed Redis)',
      "check it in the provider's settings: it must be noeviction",
    );
  }
  if (policy === 'noeviction') return ok(CHECK, 'maxmemory-policy is noeviction');
  return mustFix(
    CHECK,
    `maxmemory-policy is ${policy}: when memory runs out Redis deletes keys, and BullMQ loses jobs, schedulers and locks`,
    'set maxmemory-policy noeviction (redis.conf or CONFIG SET; Render Key Value: maxmemoryPolicy: noeviction in render.yaml)',
  );
}
