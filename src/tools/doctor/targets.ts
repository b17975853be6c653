import { DEFAULT_REDIS_URL, DEFAULT_THINGSPEAK_BASE_URL, type Config } from '../../shared/config';
import { normaliseDatabaseUrl } from '../../shared/db/database-url';
import type { DatabaseTarget } from './checks/database.check';
import type { ThingSpeakTarget } from './checks/thingspeak.check';

/** Each probe is bounded by this, whatever the configured timeouts: the doctor must never hang. */
export const PROBE_TIMEOUT_MS = 4_000;

export interface DoctorTargets {
  /** Undefined when DATABASE_URL is missing or unusable (the config check says why). */
  database?: DatabaseTarget;
  redisUrl: string;
  thingspeak: ThingSpeakTarget;
}


function databaseFromEnv(env: Record<string, string | undefined>): DatabaseTarget | undefined {
  if (!env.DATABASE_URL) return undefined;
  try {
    return normaliseDatabaseUrl(env.DATABASE_URL, env.DATABASE_CA_CERT?.trim() || undefined);
  } catch {
    return undefined;
  }
}

function validUrl(raw: string | undefined): string | undefined {
  if (!raw?.trim()) return undefined;
  try {
    return new URL(raw.trim()).href;
  } catch {
    return undefined;
  }
}

/**
 * What the dependency checks connect to: the loaded configuration when it is valid, otherwise the
 * raw variables, so one bad setting does not hide the state of every dependency.
 */
export function doctorTargets(config: Config | undefined, env: Record<string, string | undefined>): DoctorTargets {
  if (config) {
    return {
      database: config.db,
      redisUrl: config.redis.url,
      thingspeak: { baseUrl: config.thingspeak.baseUrl, timeoutMs: Math.min(config.thingspeak.timeoutMs, PROBE_TIMEOUT_MS) },
    };
  }
  return {
    database: databaseFromEnv(env),
    redisUrl: validUrl(env.REDIS_URL) ?? DEFAULT_REDIS_URL,
    thingspeak: { baseUrl: validUrl(env.THINGSPEAK_BASE_URL) ?? DEFAULT_THINGSPEAK_BASE_URL, timeoutMs: PROBE_TIMEOUT_MS },
  };
}
