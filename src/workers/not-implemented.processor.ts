import { UnrecoverableError } from 'bullmq';
import type { Processor } from './handlers';

/** For queues whose producers do not exist yet: fail loudly once instead of pretending to work. */
export function createNotImplementedProcessor(what: string): Processor<'deliver-notification' | 'apply-retention'> {
  return async () => {
    throw new UnrecoverableError(`${what} is not implemented yet`);
  };
}
