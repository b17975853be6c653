import { scrubSecrets } from '../../shared/logger';

/** Variable names whose values are secrets in themselves. */
const SECRET_NAME = /(KEY|SECRET|TOKEN|PASSWORD|PASSWD)/i;
/** Query parameters that carry credentials inside URL values. */
const SECRET_PARAM = /(pass|key|secret|token)/i;
/**
 * Shorter values cannot be scrubbed without mangling ordinary words (a password "x" would erase
 * every x); the checks never print them, and the secrets check calls them weak.
 */
const MIN_SCRUBBABLE_LENGTH = 4;

function secretsInUrl(value: string): string[] {
  if (!value.includes('://')) return [];
  try {
    const url = new URL(value);
    const found = [url.password, decodeURIComponent(url.password)];
    for (const [name, v] of url.searchParams) if (SECRET_PARAM.test(name)) found.push(v);
    return found;
  } catch {
    return [];
  }
}

/**
 * The doctor's last line of defence: every secret value found in the environment (secret-named
 * variables, passwords and keys inside URLs) is replaced by **** in every printed line, whatever
 * a check or a driver error put there.
 */
export function createSecretScrubber(env: Record<string, string | undefined>): (line: string) => string {
  const secrets = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if (SECRET_NAME.test(name)) secrets.add(value.trim());
    for (const s of secretsInUrl(value)) secrets.add(s);
  }
  // Longest first, so a secret containing another is replaced whole.
  const ordered = [...secrets].filter((s) => s.length >= MIN_SCRUBBABLE_LENGTH).sort((a, b) => b.length - a.length);
  return (line) => scrubSecrets(ordered.reduce((text, secret) => text.split(secret).join('****'), line));
}
