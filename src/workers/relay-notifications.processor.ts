import { UnrecoverableError } from 'bullmq';
import type { Core } from '../shared/core';
import type { Processor } from './handlers';

// Placeholder while issue 4 is built: fails loudly once instead of pretending to work.
export function createRelayNotificationsProcessor(_core: Core): Processor<'relay-notifications'> {
  return async () => {
    throw new UnrecoverableError('relay-notifications is not implemented yet');
  };
}
