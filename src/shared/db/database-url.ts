import type { ConnectionOptions } from 'node:tls';
import { decideDatabaseTls, type DatabaseSslSetting } from './database-tls';

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

export interface DatabaseTlsPolicy {
  /** DATABASE_SSL (default auto). */
  setting?: DatabaseSslSetting;
  /** NODE_ENV=production: plaintext to another machine is refused (default false). */
  production?: boolean;
}

/**
 * Turns a DATABASE_URL into what node-postgres needs. TLS follows database-tls.ts (libpq's sslmode
 * meanings, the CA, DATABASE_SSL and the host); `sslmode` is stripped because pg would let it
 * silently override the ssl object. Throws on an unusable URL or a refused TLS setting.
 */
export function normaliseDatabaseUrl(rawUrl: string, caCert?: string, policy: DatabaseTlsPolicy = {}): NormalisedDatabaseUrl {
  const url = new URL(rawUrl);
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new Error(`must start with postgres:// or postgresql:// (got ${url.protocol}//)`);
  }
  const sslmode = url.searchParams.get('sslmode')?.toLowerCase();
  url.searchParams.delete('sslmode');
  url.searchParams.delete('sslrootcert');
  url.searchParams.delete('uselibpqcompat');

  // `postgres:///db?host=...` names the host (or a unix socket directory) in the query.
  const host = url.hostname.replace(/^\[|\]$/g, '') || url.searchParams.get('host') || '';
  const port = url.port ? Number(url.port) : 5432;
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres';
  const user = decodeURIComponent(url.username);

  const { ssl, warnings } = decideDatabaseTls({ host, sslmode, caCert, setting: policy.setting ?? 'auto', production: policy.production ?? false });

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
