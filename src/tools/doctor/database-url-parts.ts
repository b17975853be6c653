import { isLoopbackHost } from '../../shared/loopback-host';

/**
 * The parts of a DATABASE_URL the doctor reasons about. database-url.ts in shared turns a URL into
 * connection options; this keeps what that throws away (the raw sslmode, the Supabase project ref).
 */
export type SupabaseHostKind = 'direct' | 'pooler' | 'other' | 'none';

export interface DatabaseUrlParts {
  host: string;
  port: number;
  user: string;
  /** Decoded; only for strength checks, never printed. */
  password: string;
  database: string;
  /** Lower-cased `sslmode` query parameter, undefined when absent. */
  sslmode?: string;
  supabase: SupabaseHostKind;
  /** Project ref from `db.<ref>.supabase.co` or from a pooler user `postgres.<ref>`. */
  projectRef?: string;
}

const SUPABASE_DIRECT = /^db\.([a-z0-9]+)\.supabase\.co$/i;
const SUPABASE_POOLER = /\.pooler\.supabase\.com$/i;
const SUPABASE_ANY = /\.supabase\.(co|com)$/i;

/** undefined when the value is not a postgres URL (the config check reports that). */
export function parseDatabaseUrl(raw: string | undefined): DatabaseUrlParts | undefined {
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const user = decodeURIComponent(url.username);
  const direct = SUPABASE_DIRECT.exec(host);
  const supabase: SupabaseHostKind = direct ? 'direct' : SUPABASE_POOLER.test(host) ? 'pooler' : SUPABASE_ANY.test(host) ? 'other' : 'none';
  const poolerRef = supabase === 'pooler' ? /^[^.]+\.([a-z0-9]+)$/i.exec(user)?.[1] : undefined;
  return {
    host,
    port: url.port ? Number(url.port) : 5432,
    user,
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres',
    sslmode: url.searchParams.get('sslmode')?.toLowerCase(),
    supabase,
    projectRef: direct?.[1] ?? poolerRef,
  };
}

/** A server on this machine (or a unix socket): plaintext is fine there. The same test the processes apply. */
export const isLocalHost = isLoopbackHost;
