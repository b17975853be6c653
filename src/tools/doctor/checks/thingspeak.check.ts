import { maskUrl } from '../../../shared/db/database-url';
import { createThingSpeakClient, ThingSpeakError } from '../../../shared/thingspeak/thingspeak.client';
import { mustFix, ok, warn, type Finding } from '../finding';
import { errorText } from '../error-text';

const CHECK = 'thingspeak';
/** A public channel (MathWorks weather station) used in ThingSpeak's own documentation. */
export const PROBE_CHANNEL_ID = 12397;

export interface ThingSpeakTarget {
  baseUrl: string;
  timeoutMs: number;
}

/** The socket error code the client put in parentheses: "unreachable (ENOTFOUND)". */
function networkCode(err: ThingSpeakError): string {
  return /\(([^)]+)\)\s*$/.exec(err.message)?.[1] ?? 'network error';
}

function unreachable(base: string, err: ThingSpeakError): Finding {
  const code = networkCode(err);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return mustFix(CHECK, `${base} is unreachable: DNS cannot resolve its host (${code})`, "check THINGSPEAK_BASE_URL and this machine's DNS and outbound network");
  }
  if (code === 'ECONNREFUSED') {
    return mustFix(CHECK, `${base} is unreachable: nothing listens there (${code})`, 'fix THINGSPEAK_BASE_URL, or start the local simulator (npm run simulator)');
  }
  return mustFix(CHECK, `${base} is unreachable (${code})`, 'check THINGSPEAK_BASE_URL and outbound HTTPS (firewall, proxy)');
}

/**
 * Asks for `results=0` of a public channel: the cheapest request that proves the read API answers.
 * Any ThingSpeak-shaped answer, even "not found" (the local simulator has no such channel), means
 * the network path works.
 */
export async function checkThingSpeak(target: ThingSpeakTarget): Promise<Finding[]> {
  const base = maskUrl(target.baseUrl).replace(/\/+$/, '');
  const client = createThingSpeakClient({ baseUrl: target.baseUrl, timeoutMs: target.timeoutMs });
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    await client.getFeed(PROBE_CHANNEL_ID, { results: 0 });
    return [ok(CHECK, `${base} answered in ${elapsed()} ms (channel ${PROBE_CHANNEL_ID}, results=0)`)];
  } catch (err) {
    if (!(err instanceof ThingSpeakError)) return [mustFix(CHECK, `probe failed: ${errorText(err)}`, 'check THINGSPEAK_BASE_URL')];
    switch (err.upstreamKind) {
      case 'network':
        return [unreachable(base, err)];
      case 'timeout':
        return [mustFix(CHECK, `${base} did not answer within ${target.timeoutMs} ms`, 'check outbound HTTPS (firewall, proxy) and THINGSPEAK_BASE_URL')];
      case 'not_found':
      case 'access_denied':
        return [ok(CHECK, `${base} is reachable: answered in ${elapsed()} ms (HTTP ${err.upstreamStatus ?? '?'} for probe channel ${PROBE_CHANNEL_ID})`)];
      case 'rate_limited':
      case 'server_error':
        return [warn(CHECK, `${base} is reachable but answered HTTP ${err.upstreamStatus ?? '?'} (${err.upstreamKind})`, 'polls retry with backoff; if it lasts, lower POLL_MAX_PER_SECOND')];
      case 'bad_response':
        return [warn(CHECK, `${base} answered, but not like ThingSpeak's read API (HTTP ${err.upstreamStatus ?? '?'})`, 'THINGSPEAK_BASE_URL must be the API root, e.g. https://api.thingspeak.com')];
    }
  }
}
