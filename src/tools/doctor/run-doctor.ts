import { checkConfig } from './checks/config.check';
import { checkDatabaseServer } from './checks/database.check';
import { checkDatabaseTls } from './checks/database-tls.check';
import { checkDatabaseUrl } from './checks/database-url.check';
import { checkRedisServer } from './checks/redis.check';
import { checkSecrets } from './checks/secrets.check';
import { checkThingSpeak } from './checks/thingspeak.check';
import { checkSupabaseAuth } from './checks/supabase-auth.check';
import { checkWebhookEgress } from './checks/webhook-egress.check';
import { errorText } from './error-text';
import { mustFix, warn, type Finding } from './finding';
import { doctorTargets, PROBE_TIMEOUT_MS } from './targets';
import { withTimeout } from './with-timeout';

/** Slack over a probe's own timeout before the doctor gives up on it (DNS, TLS, slow teardown). */
const DEADLINE_SLACK_MS = 2_000;

/** A probe that overruns becomes a `fix` finding instead of holding the report back. */
async function withinDeadline(check: string, probe: Promise<Finding[]>, deadlineMs: number): Promise<Finding[]> {
  try {
    return await withTimeout(probe, deadlineMs);
  } catch (err) {
    return [mustFix(check, errorText(err), 'check the network path and that the service is up')];
  }
}

/**
 * Every finding, in a fixed order: configuration and static checks first (they need no network),
 * then the dependencies (database, Redis, ThingSpeak, Supabase's JWKS), probed in parallel so the doctor takes one timeout at most.
 */
export async function runDoctor(env: Record<string, string | undefined>): Promise<Finding[]> {
  const configResult = checkConfig(env);
  const production = (configResult.config?.env ?? env.NODE_ENV) === 'production';
  const targets = doctorTargets(configResult.config, env);
  const deadline = PROBE_TIMEOUT_MS + DEADLINE_SLACK_MS;

  const database = targets.database
    ? withinDeadline('database', checkDatabaseServer(targets.database, PROBE_TIMEOUT_MS), deadline)
    : Promise.resolve([warn('database', 'not checked: DATABASE_URL is missing or invalid (see the config lines)')]);
  const [databaseFindings, redisFindings, thingspeakFindings, supabaseFindings] = await Promise.all([
    database,
    withinDeadline('redis', checkRedisServer(targets.redisUrl, PROBE_TIMEOUT_MS), deadline),
    withinDeadline('thingspeak', checkThingSpeak(targets.thingspeak), deadline),
    withinDeadline(
      'supabase-auth',
      checkSupabaseAuth({ url: env.SUPABASE_URL?.trim() || undefined, hasLegacySecret: Boolean(env.SUPABASE_JWT_SECRET?.trim()), timeoutMs: PROBE_TIMEOUT_MS }),
      deadline,
    ),
  ]);

  return [
    ...configResult.findings,
    ...checkDatabaseUrl(env.DATABASE_URL),
    ...checkDatabaseTls({
      url: env.DATABASE_URL,
      caCert: env.DATABASE_CA_CERT?.trim() || undefined,
      production,
      sslSetting: env.DATABASE_SSL,
      alreadyReported: configResult.reportedVariables,
    }),
    ...checkSecrets({ env, production, alreadyReported: configResult.reportedVariables }),
    ...checkWebhookEgress(configResult.config),
    ...databaseFindings,
    ...redisFindings,
    ...thingspeakFindings,
    ...supabaseFindings,
  ];
}
