import { UnrecoverableError } from 'bullmq';
import type { Core } from '../shared/core';
import type { Processor } from './handlers';

// Placeholder while issue 4 is built: fails loudly once instead of pretending to work.
export function createNotifySystemEventProcessor(_core: Core): Processor<'notify-system-event'> {
  return async () => {
    throw new UnrecoverableError('notify-system-event is not implemented yet');
  };
}
