import type { Redis } from 'ioredis';
import type { Logger } from '../shared/logger';
import { tryLock } from '../shared/locks/redis-lock';
import type { Queues } from '../shared/queues/queues';
import type { QueueName } from '../shared/queues/queue-names';
import type { SchedulerRepeat, SchedulerSpec } from './job-schedulers';
import { UNTRACED } from '../shared/queues/queue-telemetry';

// Long enough for a few upserts; a holder that dies frees it within this.
const REPAIR_LOCK_MS = 10_000;

// States in which the scheduler's next job will still run (or is running). A completed, failed or
// missing next job means nothing will ever add the one after it.
const LIVE_JOB_STATES = new Set(['delayed', 'waiting', 'prioritized', 'active', 'waiting-children']);

export interface SchedulerKeeper {
  /**
   * Creates every scheduler that is missing, or whose next job is gone, and returns the ids this
   * call (re)created. With `applyChanges` (start-up) also those whose repeat options differ from
   * this process's configuration; the periodic check never does, so two processes configured
   * differently (a rolling deploy) do not take turns resetting each other's schedule.
   */
  ensure(opts?: { applyChanges?: boolean }): Promise<string[]>;
  /** Checks now, on every Redis (re)connection and every `checkMs` from now on. */
  start(): void;
  stop(): Promise<void>;
}

export interface SchedulerKeeperDeps {
  queues: Pick<Queues, QueueName>;
  redis: Redis;
  prefix: string;
  log: Logger;
  specs: readonly SchedulerSpec[];
  unwanted?: ReadonlyArray<{ queue: QueueName; id: string }>;
  checkMs: number;
}

function sameRepeat(found: { every?: number | string | null; pattern?: string | null; tz?: string | null }, wanted: SchedulerRepeat): boolean {
  if ('every' in wanted) return Number(found.every) === wanted.every && !found.pattern;
  return found.pattern === wanted.pattern && (found.tz ?? 'UTC') === wanted.tz;
}

/**
 * Keeps the job schedulers (the poll tick, sweeps, relay, retention, partitions) present in Redis.
 * A Redis that restarts empty (a crash without persistence, a failover to an empty replica) loses
 * them, and nothing else would ever create them again: polling would stop for good. Every worker
 * process checks the schedulers of the queues it runs when its Redis connection becomes ready
 * and every `checkMs`; a repair happens under a per-scheduler lock with a re-check, so however many
 * processes notice the loss at once, exactly one upserts and there is one scheduler with one next
 * job. A re-created `every` scheduler fires at once, so polling resumes without waiting an interval.
 */
export function createSchedulerKeeper(deps: SchedulerKeeperDeps): SchedulerKeeper {
  const { queues, redis, prefix, log, specs } = deps;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  async function healthy(spec: SchedulerSpec, applyChanges: boolean): Promise<boolean> {
    const queue = queues[spec.queue];
    const found = await queue.getJobScheduler(spec.id);
    if (!found || found.next === null || found.next === undefined) return false;
    // At start a changed interval, or a template from before tracing (ticks must start their own traces), is rewritten.
    if (applyChanges && (!sameRepeat(found, spec.repeat) || !found.template?.opts?.telemetry?.omitContext)) return false;
    return LIVE_JOB_STATES.has(await queue.getJobState(`repeat:${spec.id}:${found.next}`));
  }

  async function repair(spec: SchedulerSpec, applyChanges: boolean): Promise<boolean> {
    if (await healthy(spec, applyChanges)) return false;
    const lock = await tryLock(redis, `${prefix}:scheduler-keeper:${spec.id}`, REPAIR_LOCK_MS);
    if (!lock) return false; // another process is repairing it right now
    try {
      // Again under the lock: the process that held it before us may just have repaired it.
      if (await healthy(spec, applyChanges)) return false;
      await queues[spec.queue].upsertJobScheduler(spec.id, spec.repeat, { name: spec.jobName, data: {}, opts: UNTRACED });
      return true;
    } finally {
      await lock.release().catch(() => undefined);
    }
  }

  async function ensure({ applyChanges = false } = {}): Promise<string[]> {
    const created = await Promise.all(specs.map(async (spec) => ((await repair(spec, applyChanges)) ? spec.id : undefined)));
    if (applyChanges) for (const { queue, id } of deps.unwanted ?? []) await queues[queue].removeJobScheduler(id);
    return created.filter((id): id is string => id !== undefined);
  }

  async function check(): Promise<void> {
    const restored = await ensure();
    if (restored.length > 0) log.warn({ schedulers: restored }, 'job schedulers restored: Redis had lost them (restarted empty or failed over)');
  }

  // One check at a time; a trigger during a check runs one more right after it. While Redis is
  // away a check simply waits for the connection, so triggers do not pile up.
  function trigger(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = check()
      .catch((err: unknown) => log.warn({ err }, 'job scheduler check failed: retried on the next one'))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          trigger();
        }
      });
  }

  return {
    ensure,
    start() {
      redis.on('ready', trigger);
      timer = setInterval(trigger, deps.checkMs);
      timer.unref();
      trigger();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      redis.off('ready', trigger);
      await running;
    },
  };
}
