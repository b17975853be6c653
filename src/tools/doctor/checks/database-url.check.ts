import { maskUrl } from '../../../shared/db/database-url';
import { parseDatabaseUrl, type DatabaseUrlParts } from '../database-url-parts';
import { mustFix, ok, warn, type Finding } from '../finding';

const CHECK = 'database-url';
const SESSION_PORT = 5432;
const TRANSACTION_PORT = 6543;
const WHERE_TO_COPY =
  'copy the exact host from the Supabase dashboard: Connect (top of the project page) > Session pooler; ' +
  '<region> is the project region such as ap-south-1, and the prefix may be aws-1 rather than aws-0';

function supabaseDirect(parts: DatabaseUrlParts): Finding {
  return mustFix(
    CHECK,
    `The Supabase direct host ${parts.host} is IPv6-only (unless the project has the paid IPv4 add-on): ` +
      'Render and other hosts without outbound IPv6 fail with ENETUNREACH',
    `use the Supavisor session pooler aws-0-<region>.pooler.supabase.com:${SESSION_PORT} with user postgres.${parts.projectRef} ` +
      `(same password and database; ${WHERE_TO_COPY})`,
  );
}

function supabasePooler(parts: DatabaseUrlParts): Finding[] {
  const findings: Finding[] = [];
  if (!parts.projectRef) {
    findings.push(
      mustFix(
        CHECK,
        `The Supabase pooler identifies the project by the user name; "${parts.user}" has no project ref, so it fails with "tenant/user not found"`,
        'use user postgres.<project-ref> (the ref is the <ref> of db.<ref>.supabase.co and of the dashboard URL)',
      ),
    );
  }
  if (parts.port === TRANSACTION_PORT) {
    findings.push(
      warn(
        CHECK,
        `Port ${TRANSACTION_PORT} on ${parts.host} is Supavisor transaction mode: a server connection is lent for one transaction only, ` +
          'so it forbids named prepared statements, LISTEN/NOTIFY, session SET and session advisory locks. ' +
          "Evara's API and workers use none of these (its locks and pub/sub live in Redis), so they work here",
        `run migrations (npm run migrate, Render's preDeployCommand) through port ${SESSION_PORT}, session mode, on the same host`,
      ),
    );
  } else if (parts.port === SESSION_PORT) {
    findings.push(
      ok(
        CHECK,
        `Port ${SESSION_PORT} on ${parts.host} is Supavisor session mode: every Postgres feature works; each client holds a server ` +
          'connection while connected, so DATABASE_POOL_MAX times the number of processes must stay under the pooler pool size',
      ),
    );
  } else {
    findings.push(
      mustFix(CHECK, `Supavisor does not listen on port ${parts.port}`, `use ${SESSION_PORT} (session mode) or ${TRANSACTION_PORT} (transaction mode)`),
    );
  }
  return findings;
}

/**
 * Where DATABASE_URL points and whether that host can work from a platform like Render. Pure: it
 * reads the URL only, so it runs even when the rest of the configuration is invalid.
 */
export function checkDatabaseUrl(rawUrl: string | undefined): Finding[] {
  const parts = parseDatabaseUrl(rawUrl);
  if (!rawUrl || !parts) return []; // The config check reports a missing or malformed DATABASE_URL.
  const where = ok(CHECK, `points at ${maskUrl(rawUrl)}`);
  switch (parts.supabase) {
    case 'direct':
      return [where, supabaseDirect(parts)];
    case 'pooler':
      return [where, ...supabasePooler(parts)];
    case 'other':
      return [
        where,
        mustFix(
          CHECK,
          `${parts.host} is a Supabase host but not a Postgres one (expected db.<ref>.supabase.co or *.pooler.supabase.com)`,
          `use the session pooler aws-0-<region>.pooler.supabase.com:${SESSION_PORT} (${WHERE_TO_COPY})`,
        ),
      ];
    case 'none':
      return [where];
  }
}
