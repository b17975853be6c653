import type { NormalisedDatabaseUrl } from '../../../shared/db/database-url';
import type { Db } from '../../../shared/db/knex';
import { runMigrations } from '../../../shared/db/migrate';
import { hasMigrationsTable, openProbeDb, serverVersion } from '../../../shared/db/probe-db';
import { checkDatabase } from '../../../shared/health/dependency-checks';
import { mustFix, ok, warn, type Finding } from '../finding';
import { errorCode, errorText } from '../error-text';

const CHECK = 'database';
/** gen_random_uuid() (used by the migrations) is built in from PostgreSQL 13. */
const MIN_SERVER_MAJOR = 13;
/** Above this a query round trip is noticeable on every request and poll. */
const SLOW_ROUND_TRIP_MS = 100;

export type DatabaseTarget = Pick<NormalisedDatabaseUrl, 'connectionString' | 'ssl' | 'host' | 'port' | 'database' | 'poolerMode'>;

/** What to do about a connection failure, by driver error code. */
function connectionFix(code: string | undefined, target: DatabaseTarget): string {
  const direct = target.poolerMode === 'supabase-direct';
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return direct
        ? 'DNS gives no usable address for the direct host (wrong or paused project, or no IPv6 here): use the session pooler named in the database-url line'
        : 'DNS cannot resolve the host: check the host name in DATABASE_URL and this machine\'s DNS';
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return direct ? 'this machine has no IPv6 route: use the session pooler named in the database-url line' : 'no network route to the host: check firewall, VPC and IP allow lists';
    case 'ECONNREFUSED':
      return `nothing listens on ${target.host}:${target.port}: start Postgres or fix the host/port in DATABASE_URL`;
    case '28P01':
    case '28000':
      return 'the server refused the user or password: check them (a Supabase pooler user is postgres.<ref>)';
    case '3D000':
      return `create the database ${target.database} (outside production npm run migrate creates it)`;
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
      return "set DATABASE_CA_CERT to the PEM of the server's CA";
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return 'the certificate does not name this host: connect with the host name the provider gives';
    default:
      return 'check host, port, credentials and network access (IP allow list) of DATABASE_URL';
  }
}

async function serverFacts(db: Db, target: DatabaseTarget, connectMs: number): Promise<Finding[]> {
  const started = performance.now();
  const { version, num } = await serverVersion(db);
  const roundTripMs = Math.round(performance.now() - started);
  const findings: Finding[] = [ok(CHECK, `connected to ${target.host}:${target.port}/${target.database} in ${connectMs} ms; PostgreSQL ${version}`)];
  if (Math.floor(num / 10_000) < MIN_SERVER_MAJOR) {
    findings.push(mustFix(CHECK, `PostgreSQL ${version} is too old: the migrations need ${MIN_SERVER_MAJOR} or later (gen_random_uuid)`, `upgrade to PostgreSQL ${MIN_SERVER_MAJOR}+`));
  }
  if (roundTripMs > SLOW_ROUND_TRIP_MS) {
    findings.push(warn(CHECK, `a query round trip takes ${roundTripMs} ms`, "run Evara in the database's region"));
  }
  return findings;
}

async function migrationStatus(db: Db): Promise<Finding> {
  try {
    if (!(await hasMigrationsTable(db))) {
      return mustFix('migrations', 'the database has never been migrated (no knex_migrations table)', 'npm run migrate (on Render it runs as the preDeployCommand)');
    }
    const pending = await runMigrations(db, 'status');
    if (pending.length === 0) return ok('migrations', 'no pending migrations');
    return mustFix('migrations', `${pending.length} pending migration(s): ${pending.join(', ')}`, 'npm run migrate (on Render it runs as the preDeployCommand)');
  } catch (err) {
    return warn('migrations', `could not read the migration state: ${errorText(err)}`, 'check that the user may read knex_migrations');
  }
}

/** Connects (bounded by timeoutMs), reports latency and server version, then pending migrations. */
export async function checkDatabaseServer(target: DatabaseTarget, timeoutMs: number): Promise<Finding[]> {
  const db = openProbeDb(target, timeoutMs, 'evara-doctor');
  try {
    const connection = await checkDatabase(db, timeoutMs);
    if (connection.status === 'down') {
      const code = /^([A-Z0-9_]+):/.exec(connection.error ?? '')?.[1];
      return [mustFix(CHECK, `cannot connect to ${target.host}:${target.port} (${connection.error ?? 'failed'})`, connectionFix(code, target))];
    }
    return [...(await serverFacts(db, target, connection.latencyMs)), await migrationStatus(db)];
  } catch (err) {
    return [mustFix(CHECK, `check failed: ${errorText(err)}`, connectionFix(errorCode(err), target))];
  } finally {
    await db.destroy().catch(() => undefined);
  }
}
