import { UnrecoverableError } from 'bullmq';
import type { Core } from '../shared/core';
import type { Processor } from './handlers';

// Placeholder while issue 4 is built: fails loudly once instead of pretending to work.
export function createSweepConditionsProcessor(_core: Core): Processor<'sweep-conditions'> {
  return async () => {
    throw new UnrecoverableError('sweep-conditions is not implemented yet');
  };
}
