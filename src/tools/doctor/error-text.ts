import { scrubSecrets } from '../../shared/logger';

/** The error code a driver attached (ECONNREFUSED, 28P01, ...), if any. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** One short line, credentials scrubbed: driver messages can quote connection strings. */
export function errorText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const line = scrubSecrets(message.split('\n')[0] ?? '').slice(0, 200);
  const code = errorCode(err);
  return code && !line.includes(code) ? `${code}: ${line}` : line;
}
