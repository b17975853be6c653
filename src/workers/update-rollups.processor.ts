import type { Db } from '../shared/db/knex';
import { updateRollups } from '../shared/rollups/update-rollups';
import type { Processor } from './processor';

/** Periodic fold of newly stored readings into hourly and daily rollups (rollups/update-rollups.ts). */
export function createUpdateRollupsProcessor(deps: { db: Db }): Processor<'update-rollups'> {
  return (_data, { log }) => updateRollups(deps, log);
}
