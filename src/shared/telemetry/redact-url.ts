/**
 * Query parameters whose values never reach a span. ThingSpeak read keys travel as `api_key=`, live
 * socket tickets as `ticket=`; the last four are the OpenTelemetry HTTP instrumentation's defaults.
 */
export const REDACTED_QUERY_PARAMS: readonly string[] = [
  'api_key',
  'apikey',
  'key',
  'token',
  'ticket',
  'password',
  'secret',
  'AWSAccessKeyId',
  'Signature',
  'sig',
  'X-Goog-Signature',
];

const REDACTED = 'REDACTED';

/** The URL with the values of REDACTED_QUERY_PARAMS replaced (case-insensitive names); anything unparseable as a whole. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return REDACTED;
  }
  const secret = new Set(REDACTED_QUERY_PARAMS.map((p) => p.toLowerCase()));
  // Rebuilt by hand: URLSearchParams would re-encode the parameters it keeps ("%20" becomes "+").
  const query = parsed.search
    .slice(1)
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return secret.has(safeDecode(name).toLowerCase()) ? `${name}=${REDACTED}` : pair;
    })
    .join('&');
  parsed.search = query;
  // Credentials in the authority are secrets too.
  if (parsed.password) parsed.password = REDACTED;
  return parsed.toString();
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
