import type { ConnectionOptions } from 'node:tls';

export type PoolerMode = 'direct' | 'supabase-direct' | 'supabase-transaction' | 'supabase-session';

export interface NormalisedDatabaseUrl {
  /** Connection string without `sslmode` (pg would let it silently override the ssl object). */
  connectionString: string;
  ssl: false | ConnectionOptions;
  host: string;
  port: number;
  database: string;
  user: string;
  poolerMode: PoolerMode;
  /** Human advice about this URL, printed in the start-up banner and by the doctor. */
  warnings: string[];
}

const SUPABASE_DIRECT = /^db\.([a-z0-9]+)\.supabase\.co$/i;
const SUPABASE_POOLER = /\.pooler\.supabase\.com$/i;

/**
 * Turns a DATABASE_URL into what node-postgres needs, with libpq's sslmode meanings:
 * `disable` plaintext; `require`/`prefer` encrypted without verification; `verify-ca`/`verify-full`
 * encrypted and verified against `caCert` (or the system CAs). pg's own reading of `require` is
 * full verification, which fails with SELF_SIGNED_CERT_IN_CHAIN on Supabase, so we strip it.
 */
export function normaliseDatabaseUrl(rawUrl: string, caCert?: string): NormalisedDatabaseUrl {
  const url = new URL(rawUrl);
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new Error(`must start with postgres:// or postgresql:// (got ${url.protocol}//)`);
  }
  const warnings: string[] = [];
  const sslmode = url.searchParams.get('sslmode')?.toLowerCase();
  url.searchParams.delete('sslmode');
  url.searchParams.delete('sslrootcert');
  url.searchParams.delete('uselibpqcompat');

  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port ? Number(url.port) : 5432;
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres';
  const user = decodeURIComponent(url.username);

  let ssl: false | ConnectionOptions;
  switch (sslmode) {
    case undefined:
    case 'disable':
    case 'allow':
      ssl = caCert ? { ca: caCert, rejectUnauthorized: true } : false;
      break;
    case 'prefer':
    case 'require':
    case 'no-verify':
      ssl = caCert ? { ca: caCert, rejectUnauthorized: true } : { rejectUnauthorized: false };
      if (!caCert) {
        warnings.push(
          `sslmode=${sslmode}: the connection is encrypted but the server certificate is not verified; ` +
            'set DATABASE_CA_CERT (the provider CA) and sslmode=verify-full to verify it',
        );
      }
      break;
    case 'verify-ca':
    case 'verify-full':
      ssl = caCert ? { ca: caCert, rejectUnauthorized: true } : { rejectUnauthorized: true };
      if (!caCert) {
        warnings.push(
          `sslmode=${sslmode} without DATABASE_CA_CERT: only the system CAs are trusted; ` +
            "a provider with its own CA (Supabase) fails with SELF_SIGNED_CERT_IN_CHAIN until you set it",
        );
      }
      break;
    default:
      throw new Error(`unknown sslmode "${sslmode}" (use disable, require, verify-ca or verify-full)`);
  }

  let poolerMode: PoolerMode = 'direct';
  const direct = SUPABASE_DIRECT.exec(host);
  if (direct) {
    poolerMode = 'supabase-direct';
    warnings.push(
      `${host} is Supabase's direct host, which is IPv6-only unless the project has the IPv4 add-on; ` +
        'platforms without outbound IPv6 (Render) fail with ENETUNREACH. Use the pooler instead: ' +
        `host aws-N-<region>.pooler.supabase.com (copy it from the dashboard), user postgres.${direct[1]}, ` +
        'port 6543 (transaction mode) for the API and workers, port 5432 (session mode) for migrations',
    );
  } else if (SUPABASE_POOLER.test(host)) {
    poolerMode = port === 6543 ? 'supabase-transaction' : 'supabase-session';
    if (poolerMode === 'supabase-transaction') {
      warnings.push(
        'Supabase pooler port 6543 is transaction mode: no named prepared statements, LISTEN/NOTIFY, ' +
          'session SET or advisory locks; run migrations through port 5432 (session mode)',
      );
    }
  }

  return { connectionString: url.toString(), ssl, host, port, database, user, poolerMode, warnings };
}

/** `postgres://user:****@host:port/db`: safe for logs. */
export function maskUrl(rawUrl: string): string {
  try {
    const url = new URL(rawUrl);
    if (url.password) url.password = '****';
    for (const key of [...url.searchParams.keys()]) {
      if (/pass|key|secret|token/i.test(key)) url.searchParams.set(key, '****');
    }
    return url.toString();
  } catch {
    return '<unparseable url>';
  }
}
