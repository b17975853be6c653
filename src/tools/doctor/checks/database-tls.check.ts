import { isSupabaseHost } from '../../../shared/db/database-tls';
import { isLocalHost, parseDatabaseUrl, type DatabaseUrlParts } from '../database-url-parts';
import { mustFix, ok, warn, type Finding } from '../finding';

const CHECK = 'database-tls';
const SUPABASE_CA =
  "Supabase's CA: Dashboard > Database Settings > SSL Configuration > Download certificate; put the PEM text in DATABASE_CA_CERT";
const KNOWN_MODES = new Set(['disable', 'allow', 'prefer', 'require', 'no-verify', 'verify-ca', 'verify-full']);
const TLS_MODES = new Set(['prefer', 'require', 'no-verify', 'verify-ca', 'verify-full']);

export interface DatabaseTlsInput {
  url: string | undefined;
  caCert: string | undefined;
  production: boolean;
  /** DATABASE_SSL as given (auto when absent). */
  sslSetting?: string;
  /** Variables the config check already reported (a refused plaintext connection is one): not repeated here. */
  alreadyReported?: ReadonlySet<string>;
}

function caAdvice(parts: DatabaseUrlParts): string {
  return parts.supabase !== 'none' ? `use sslmode=verify-full with ${SUPABASE_CA}` : "use sslmode=verify-full and set DATABASE_CA_CERT to the PEM of the provider's CA";
}

/** A CA is given: Evara verifies the chain and the host name whatever sslmode says (database-url.ts). */
function withCa(parts: DatabaseUrlParts, caCert: string): Finding {
  if (!caCert.includes('-----BEGIN CERTIFICATE-----')) {
    return mustFix(CHECK, 'DATABASE_CA_CERT is not PEM text (no "-----BEGIN CERTIFICATE-----" line)', 'paste the whole certificate file, BEGIN and END lines included');
  }
  if (parts.sslmode === 'disable' || parts.sslmode === 'allow') {
    return warn(
      CHECK,
      `sslmode=${parts.sslmode} asks for plaintext, but DATABASE_CA_CERT is set, so Evara connects with TLS and verifies the server anyway`,
      'use sslmode=verify-full so the URL says what happens',
    );
  }
  const note = parts.sslmode === 'verify-ca' ? ' (Evara checks the host name as well, so verify-ca acts as verify-full)' : '';
  return ok(CHECK, `TLS, server certificate verified against DATABASE_CA_CERT${note}`);
}

function plaintext(parts: DatabaseUrlParts, production: boolean): Finding {
  if (isLocalHost(parts.host)) return ok(CHECK, `plaintext to a server on this machine (${parts.host}), which is fine`);
  const mode = parts.sslmode ? `sslmode=${parts.sslmode}` : "no sslmode (node-postgres then uses no TLS at all, unlike libpq's default prefer)";
  const message = `${mode}: the connection to ${parts.host} is not encrypted, so the password and every row cross the network in clear`;
  const fix = `${caAdvice(parts)}; or, if that network is private, set DATABASE_SSL=disable (production refuses to start otherwise)`;
  return production ? mustFix(CHECK, message, fix) : warn(CHECK, message, fix);
}

/** DATABASE_SSL=disable: plaintext asked for by name (config.ts refuses it together with a CA or a TLS sslmode). */
function plaintextOnPurpose(parts: DatabaseUrlParts): Finding {
  if (isLocalHost(parts.host)) return ok(CHECK, `DATABASE_SSL=disable: plaintext to a server on this machine (${parts.host}), which is fine`);
  return warn(
    CHECK,
    `DATABASE_SSL=disable: the connection to ${parts.host} is not encrypted, on purpose; safe only on a private network`,
    caAdvice(parts),
  );
}

/** No sslmode to a Supabase host: database-tls.ts turns TLS on, without verification. */
function supabaseWithoutSslmode(parts: DatabaseUrlParts, production: boolean): Finding {
  const message =
    'no sslmode: Evara turns TLS on for a Supabase host by itself, but without DATABASE_CA_CERT the server certificate is not verified ' +
    '(anyone in the path can impersonate the server)';
  return production ? mustFix(CHECK, message, caAdvice(parts)) : warn(CHECK, message, caAdvice(parts));
}

function encryptedUnverified(parts: DatabaseUrlParts, production: boolean): Finding {
  const fallback = parts.sslmode === 'prefer' ? '; unlike libpq, Evara never falls back to plaintext' : '';
  const message =
    `sslmode=${parts.sslmode} encrypts but does not verify the server certificate (libpq meaning: anyone in the path can impersonate the server)${fallback}. ` +
    "Evara takes sslmode out of the URL because node-postgres would read require as full verification";
  // Supabase in production must verify: it is a public endpoint and its CA is easy to get.
  return production && parts.supabase !== 'none' ? mustFix(CHECK, message, caAdvice(parts)) : warn(CHECK, message, caAdvice(parts));
}

function verifiedWithoutCa(parts: DatabaseUrlParts): Finding {
  const note = parts.sslmode === 'verify-ca' ? ' (Evara checks the host name as well, so it acts as verify-full)' : '';
  if (parts.supabase !== 'none') {
    return mustFix(
      CHECK,
      `sslmode=${parts.sslmode}${note} without DATABASE_CA_CERT: Supabase signs its certificates with its own CA, so verification fails with SELF_SIGNED_CERT_IN_CHAIN`,
      SUPABASE_CA,
    );
  }
  return warn(
    CHECK,
    `sslmode=${parts.sslmode}${note} without DATABASE_CA_CERT: only the system CAs are trusted; a provider with its own CA fails with SELF_SIGNED_CERT_IN_CHAIN`,
    "set DATABASE_CA_CERT to the provider's CA unless its certificate chains to a public CA",
  );
}

/** What sslmode (libpq meanings) and DATABASE_CA_CERT give: plaintext, encrypted, or encrypted and verified. */
export function checkDatabaseTls(input: DatabaseTlsInput): Finding[] {
  const parts = parseDatabaseUrl(input.url);
  if (!parts) return [];
  if (parts.sslmode !== undefined && !KNOWN_MODES.has(parts.sslmode)) return []; // The config check reports an unknown sslmode.
  if (input.alreadyReported?.has('DATABASE_URL') || input.alreadyReported?.has('DATABASE_SSL')) return [];
  if (input.sslSetting?.trim() === 'disable') return input.caCert || (parts.sslmode && TLS_MODES.has(parts.sslmode)) ? [] : [plaintextOnPurpose(parts)];
  if (input.caCert) return [withCa(parts, input.caCert)];
  switch (parts.sslmode) {
    case undefined:
      return [isSupabaseHost(parts.host) ? supabaseWithoutSslmode(parts, input.production) : plaintext(parts, input.production)];
    case 'disable':
    case 'allow':
      return [plaintext(parts, input.production)];
    case 'prefer':
    case 'require':
    case 'no-verify':
      return [encryptedUnverified(parts, input.production)];
    default:
      return [verifiedWithoutCa(parts)];
  }
}
