import type { Db } from '../db/knex';
import type { Redis } from '../redis';

export interface DependencyStatus {
  status: 'up' | 'down';
  latencyMs: number;
  error?: string;
}

async function timed(check: () => Promise<unknown>, timeoutMs: number): Promise<DependencyStatus> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: 'up', latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    // Only a short, credential-free reason: error texts from drivers can echo connection details.
    const code = (err as { code?: string }).code;
    const message = err instanceof Error ? err.message.split('\n')[0]!.replace(/\/\/[^@\s]*@/g, '//****@').slice(0, 160) : 'failed';
    return { status: 'down', latencyMs: Math.round(performance.now() - started), error: code ? `${code}: ${message}` : message };
  } finally {
    clearTimeout(timer);
  }
}

export const checkDatabase = (db: Db, timeoutMs: number) => timed(() => db.raw('select 1'), timeoutMs);
export const checkRedis = (redis: Redis, timeoutMs: number) => timed(() => redis.ping(), timeoutMs);
