import { UnrecoverableError } from 'bullmq';
import type { Core } from '../shared/core';
import type { Processor } from './handlers';

// Placeholder while issue 4 is built: fails loudly once instead of pretending to work.
export function createDeliverNotificationProcessor(_core: Core): Processor<'deliver-notification'> {
  return async () => {
    throw new UnrecoverableError('deliver-notification is not implemented yet');
  };
}
