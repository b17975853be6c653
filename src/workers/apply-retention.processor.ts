import { UnrecoverableError } from 'bullmq';
import type { Core } from '../shared/core';
import type { Processor } from './handlers';

// Placeholder while issue 4 is built: fails loudly once instead of pretending to work.
export function createApplyRetentionProcessor(_core: Core): Processor<'apply-retention'> {
  return async () => {
    throw new UnrecoverableError('apply-retention is not implemented yet');
  };
}
