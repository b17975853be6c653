import type { BoardHooks } from '@bull-board/api/typings/app';
import type { Core } from '../../shared/core';
import type { Logger } from '../../shared/logger';

/**
 * The flag the workers' breaker watch (src/workers/breaker-watch.ts) sets when *it* paused the
 * `poll` queue; it resumes only pauses that carry it. The breaker's keys name it for both sides.
 */
export function pollPausedByBreakerKey(core: Pick<Core, 'breaker'>): string {
  return core.breaker.keys.pollPausedByBreaker;
}

export const RESUME_REFUSED_MESSAGE =
  'The database circuit breaker is open: the poll queue stays paused until the database is back (a resume now would be paused again within seconds). Wait until /health shows the circuit closed; other queues can be resumed one by one.';

/** Which of Bull Board's API routes (relative to its base path) pause or resume `poll`. */
function actionOnPoll(route: string, params: Record<string, unknown>): 'pause' | 'resume' | undefined {
  if (route === '/api/queues/pause') return 'pause'; // pause all
  if (route === '/api/queues/resume') return 'resume'; // resume all
  if (params.queueName !== 'poll') return undefined;
  if (route === '/api/queues/:queueName/pause') return 'pause';
  if (route === '/api/queues/:queueName/resume') return 'resume';
  return undefined;
}

/**
 * Makes Bull Board's pause and resume of `poll` cooperate with the DB breaker:
 * - an operator's pause takes over a pause the breaker made (its flag is cleared), so the
 *   breaker's resume on recovery does not undo it;
 * - a resume while the breaker is open is refused with the reason, rather than appearing to work
 *   and being undone by the next breaker check.
 */
export function pollPauseHooks(core: Pick<Core, 'breaker' | 'redis'>, log: Logger): BoardHooks {
  const flagKey = pollPausedByBreakerKey(core);
  return {
    async before({ route, request }) {
      const action = actionOnPoll(route, request.params);
      // Cleared before the pause too: if the breaker closed between pause and clear, its resume
      // would undo the operator's pause (cleared again after, in case a check re-set it meanwhile).
      if (action === 'pause') await core.redis.del(flagKey);
      if (action !== 'resume') return;
      if ((await core.breaker.snapshot()).state === 'open') return { allow: false, status: 409, message: RESUME_REFUSED_MESSAGE };
    },
    async after({ route, request }, result) {
      if (actionOnPoll(route, request.params) === 'pause' && (result.status ?? 200) < 300 && (await core.redis.del(flagKey)) > 0) {
        log.info({ queue: 'poll' }, 'poll queue pause taken over by an operator: the breaker will not resume it');
      }
      return result;
    },
  };
}
