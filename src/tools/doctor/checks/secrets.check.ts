import { loadConfig } from '../../../shared/config';
import { parseDatabaseUrl } from '../database-url-parts';
import { mustFix, ok, warn, type Finding } from '../finding';
import { weakKeyBytes, weaknessOf } from '../secret-strength';

const CHECK = 'secrets';
const MIN_TOKEN_LENGTH = 32;
const MIN_DB_PASSWORD_LENGTH = 16;
const GENERATE = 'generate one with `openssl rand -base64 32` and set it in the Render dashboard (never in render.yaml)';
const DEFAULT_DB_PASSWORDS = new Set(['postgres', 'password', 'admin', 'root', 'secret', 'changeme', 'supabase']);

/**
 * The key config.ts falls back to outside production. Read through loadConfig rather than copied,
 * so the doctor cannot drift from it.
 */
function developmentEncryptionKey(): Buffer {
  return loadConfig({ DATABASE_URL: 'postgres://localhost/doctor', NODE_ENV: 'development' }, 'tool').encryptionKey.current.key;
}

function decodeKey(raw: string): Buffer | undefined {
  const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  return key.length === 32 ? key : undefined;
}

function checkToken(name: string, value: string | undefined, requiredBecause?: string): Finding | undefined {
  if (!value) return requiredBecause ? mustFix(CHECK, `${name} is missing: ${requiredBecause}`, GENERATE) : undefined;
  const weakness = weaknessOf(value, MIN_TOKEN_LENGTH);
  return weakness ? mustFix(CHECK, `${name} ${weakness}: it can be guessed`, GENERATE) : undefined;
}

/** Optional in config.ts, but without it each worker's /metrics stays on 127.0.0.1, out of a scraper's reach. */
function checkMetricsToken(value: string | undefined): Finding | undefined {
  if (value) return checkToken('METRICS_TOKEN', value);
  return warn(
    CHECK,
    "METRICS_TOKEN is not set: each worker's /metrics (WORKER_METRICS_PORT) listens on 127.0.0.1 only, so no scraper on the private network can read it",
    `${GENERATE} if Prometheus should scrape the workers (they then listen on 0.0.0.0 and ask for the token)`,
  );
}

function checkEncryptionKey(value: string | undefined): Finding | undefined {
  if (!value) return mustFix(CHECK, 'ENCRYPTION_KEY is missing: ThingSpeak read keys would be encrypted with the public development key', GENERATE);
  const key = decodeKey(value);
  if (!key) return undefined; // Malformed: the config check reports it.
  if (key.equals(developmentEncryptionKey())) {
    return mustFix(CHECK, 'ENCRYPTION_KEY is the development key from the source code', `${GENERATE}; then re-enter the read keys of private channels`);
  }
  const weakness = weakKeyBytes(key);
  return weakness ? mustFix(CHECK, `ENCRYPTION_KEY ${weakness}`, GENERATE) : undefined;
}

function checkDatabasePassword(url: string | undefined): Finding | undefined {
  const parts = parseDatabaseUrl(url);
  if (!parts) return undefined;
  if (!parts.password) {
    return warn(CHECK, 'DATABASE_URL has no password: safe only with certificate or trust authentication on a private network', 'use a strong database password');
  }
  if (DEFAULT_DB_PASSWORDS.has(parts.password.toLowerCase())) {
    return mustFix(CHECK, 'the DATABASE_URL password is a well-known default', 'set a long random database password (Supabase: reset it in the database settings of the dashboard)');
  }
  const weakness = weaknessOf(parts.password, MIN_DB_PASSWORD_LENGTH);
  return weakness ? mustFix(CHECK, `the DATABASE_URL password ${weakness}`, 'set a long random database password') : undefined;
}

export interface SecretsInput {
  env: Record<string, string | undefined>;
  production: boolean;
  /** Variables the config check already flagged: one line per problem is enough. */
  alreadyReported: ReadonlySet<string>;
}

/** Missing, default or guessable secrets; only production is judged (development has safe fallbacks). */
export function checkSecrets({ env, production, alreadyReported }: SecretsInput): Finding[] {
  if (!production) return [ok(CHECK, 'not production: secrets are judged only when NODE_ENV=production')];
  const candidates: Array<[string, Finding | undefined]> = [
    ['ADMIN_API_KEY', checkToken('ADMIN_API_KEY', env.ADMIN_API_KEY?.trim(), 'the API needs it in production to bootstrap the superadmin key')],
    ['ENCRYPTION_KEY', checkEncryptionKey(env.ENCRYPTION_KEY?.trim())],
    ['DATABASE_URL', checkDatabasePassword(env.DATABASE_URL)],
    ['METRICS_TOKEN', checkMetricsToken(env.METRICS_TOKEN?.trim())],
  ];
  const findings = candidates.filter(([name, f]) => f !== undefined && !alreadyReported.has(name)).map(([, f]) => f!);
  return findings.length > 0 ? findings : [ok(CHECK, 'production secrets are set and look random')];
}
