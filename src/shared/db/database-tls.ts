import type { ConnectionOptions } from 'node:tls';
import { isLoopbackHost } from '../loopback-host';

/** DATABASE_SSL: `auto` lets sslmode, the CA and the host decide; `disable` says plaintext is intended. */
export type DatabaseSslSetting = 'auto' | 'disable';

export interface DatabaseTlsInput {
  host: string;
  /** Lower-cased `sslmode` from the URL (libpq meanings), undefined when absent. */
  sslmode: string | undefined;
  caCert?: string;
  setting: DatabaseSslSetting;
  production: boolean;
}

export interface DatabaseTlsDecision {
  /** node-postgres's `ssl` option: false is plaintext. */
  ssl: false | ConnectionOptions;
  warnings: string[];
}

/** A TLS setting Evara refuses; `variable` is the one to change (the config error names it). */
export class DatabaseTlsError extends Error {
  constructor(
    readonly variable: 'DATABASE_URL' | 'DATABASE_SSL',
    message: string,
  ) {
    super(message);
    this.name = 'DatabaseTlsError';
  }
}

const KNOWN_MODES = new Set(['disable', 'allow', 'prefer', 'require', 'no-verify', 'verify-ca', 'verify-full']);
const TLS_MODES = new Set(['prefer', 'require', 'no-verify', 'verify-ca', 'verify-full']);
const SUPABASE_HOST = /(^|\.)supabase\.co$|\.pooler\.supabase\.com$/i;

export const isSupabaseHost = (host: string): boolean => SUPABASE_HOST.test(host);

const TO_ENCRYPT = 'add sslmode=verify-full and DATABASE_CA_CERT (the provider CA), or sslmode=require';

function plaintext(input: DatabaseTlsInput, mode: string): DatabaseTlsDecision {
  if (isLoopbackHost(input.host)) return { ssl: false, warnings: [] };
  const what = `${mode}: the connection to ${input.host} is not encrypted (password and rows cross the network in clear)`;
  // Production never sends credentials in clear by accident: plaintext must be asked for by name.
  if (input.production) throw new DatabaseTlsError('DATABASE_URL', `${what}; refused in production: ${TO_ENCRYPT}, or set DATABASE_SSL=disable if that network is private`);
  return { ssl: false, warnings: [`${what}; production refuses this: ${TO_ENCRYPT}`] };
}

/** DATABASE_SSL=disable: plaintext on purpose, so anything that asks for TLS contradicts it. */
function disabledOnPurpose(input: DatabaseTlsInput): DatabaseTlsDecision {
  if (input.caCert) throw new DatabaseTlsError('DATABASE_SSL', 'is disable but DATABASE_CA_CERT is set: remove one of them');
  if (input.sslmode && TLS_MODES.has(input.sslmode)) {
    throw new DatabaseTlsError('DATABASE_SSL', `is disable but DATABASE_URL asks for TLS (sslmode=${input.sslmode}): remove one of them`);
  }
  const warnings = isLoopbackHost(input.host) ? [] : [`DATABASE_SSL=disable: the connection to ${input.host} is not encrypted, as asked`];
  return { ssl: false, warnings };
}

/**
 * What node-postgres gets for TLS, from sslmode (libpq meanings), DATABASE_CA_CERT, DATABASE_SSL,
 * the host and NODE_ENV. A CA always means TLS verified against it (pg's own reading of
 * `sslmode=require` is full verification and would replace the CA object, so sslmode never reaches pg).
 * A Supabase host without sslmode gets TLS without verification. Plaintext to another machine is
 * refused in production unless DATABASE_SSL=disable. Throws DatabaseTlsError or, for an unknown sslmode, Error.
 */
export function decideDatabaseTls(input: DatabaseTlsInput): DatabaseTlsDecision {
  const { sslmode, caCert } = input;
  if (sslmode !== undefined && !KNOWN_MODES.has(sslmode)) {
    throw new Error(`unknown sslmode "${sslmode}" (use disable, require, verify-ca or verify-full)`);
  }
  if (input.setting === 'disable') return disabledOnPurpose(input);
  if (caCert) return { ssl: { ca: caCert, rejectUnauthorized: true }, warnings: [] };

  switch (sslmode) {
    case 'verify-ca':
    case 'verify-full':
      return {
        ssl: { rejectUnauthorized: true },
        warnings: [
          `sslmode=${sslmode} without DATABASE_CA_CERT: only the system CAs are trusted; ` +
            'a provider with its own CA (Supabase) fails with SELF_SIGNED_CERT_IN_CHAIN until you set it',
        ],
      };
    case 'prefer':
    case 'require':
    case 'no-verify':
      return {
        ssl: { rejectUnauthorized: false },
        warnings: [
          `sslmode=${sslmode}: the connection is encrypted but the server certificate is not verified; ` +
            'set DATABASE_CA_CERT (the provider CA) and sslmode=verify-full to verify it',
        ],
      };
    case undefined:
      if (isSupabaseHost(input.host)) {
        // Supabase always speaks TLS; without its CA the best available is encryption without verification.
        return {
          ssl: { rejectUnauthorized: false },
          warnings: [
            `${input.host} is a Supabase host and DATABASE_URL has no sslmode: TLS is turned on, but the server certificate ` +
              'is not verified; set DATABASE_CA_CERT (Supabase dashboard > Database settings > SSL) to verify it',
          ],
        };
      }
      return plaintext(input, "no sslmode (node-postgres then uses no TLS at all, unlike libpq's default prefer)");
    default:
      return plaintext(input, `sslmode=${sslmode}`);
  }
}
