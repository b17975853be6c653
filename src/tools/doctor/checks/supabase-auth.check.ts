import { supabaseUrlProblem } from '../../../shared/config';
import { ASYMMETRIC_ALGORITHMS } from '../../../shared/auth/user-tokens';
import { mustFix, ok, type Finding } from '../finding';
import { errorText } from '../error-text';

const CHECK = 'supabase-auth';

export interface SupabaseAuthTarget {
  /** SUPABASE_URL as set (trimmed), or undefined. */
  url?: string;
  hasLegacySecret: boolean;
  timeoutMs: number;
}

/**
 * Supabase sign-in: SUPABASE_URL is well-formed (https, or http on loopback, the project root) and
 * its JWKS answers with keys this API can use (ES256/RS256). Without a JWKS key the project still
 * signs with the legacy secret, which then must be set. Never prints the secret.
 */
export async function checkSupabaseAuth(target: SupabaseAuthTarget): Promise<Finding[]> {
  if (!target.url) {
    if (target.hasLegacySecret) return [mustFix(CHECK, 'SUPABASE_JWT_SECRET is set without SUPABASE_URL: tokens cannot be checked against their issuer', 'set SUPABASE_URL=https://<project-ref>.supabase.co')];
    return [ok(CHECK, 'sign-in with Supabase is off (SUPABASE_URL not set): the API accepts API keys only')];
  }
  const problem = supabaseUrlProblem(target.url);
  if (problem) return [mustFix(CHECK, problem, 'use the project URL from the Supabase dashboard (Project settings > Data API), e.g. https://abcdefgh.supabase.co')];
  const jwksUrl = `${new URL(target.url).origin}/auth/v1/.well-known/jwks.json`;
  const started = performance.now();
  let res: Response;
  try {
    res = await fetch(jwksUrl, { signal: AbortSignal.timeout(target.timeoutMs), headers: { accept: 'application/json' } });
  } catch (err) {
    return [mustFix(CHECK, `the JWKS at ${jwksUrl} is unreachable: ${errorText(err)}`, 'check SUPABASE_URL and outbound HTTPS from this machine')];
  }
  const elapsed = Math.round(performance.now() - started);
  if (res.status !== 200) {
    return [mustFix(CHECK, `the JWKS at ${jwksUrl} answered HTTP ${res.status}`, 'SUPABASE_URL must be the project URL (https://<project-ref>.supabase.co), with no path')];
  }
  let keys: Array<{ alg?: unknown; kty?: unknown }>;
  try {
    const body = (await res.json()) as { keys?: unknown };
    if (!Array.isArray(body.keys)) throw new Error('no "keys" array');
    keys = body.keys as typeof keys;
  } catch (err) {
    return [mustFix(CHECK, `the JWKS at ${jwksUrl} is not a JSON Web Key Set (${errorText(err)})`, 'SUPABASE_URL must be the project URL, not another service')];
  }
  const usable = keys.filter((k) => typeof k.alg === 'string' && (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(k.alg));
  const findings: Finding[] = [ok(CHECK, `JWKS ${jwksUrl} answered in ${elapsed} ms with ${keys.length} key(s), ${usable.length} usable (${ASYMMETRIC_ALGORITHMS.join('/')})`)];
  if (usable.length === 0 && !target.hasLegacySecret) {
    findings.push(
      mustFix(CHECK, 'the project publishes no ES256/RS256 signing key and SUPABASE_JWT_SECRET is not set: no access token can be verified', 'set SUPABASE_JWT_SECRET (legacy JWT secret), or move the project to asymmetric JWT signing keys'),
    );
  } else if (target.hasLegacySecret) {
    findings.push(ok(CHECK, 'SUPABASE_JWT_SECRET is set: legacy HS256 tokens are accepted too (remove it once the project no longer signs with it)'));
  }
  return findings;
}
