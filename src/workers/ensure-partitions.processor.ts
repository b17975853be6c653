import { maintainReadingPartitions, type PartitionMaintenanceDeps } from '../shared/readings/maintain-reading-partitions';
import type { Processor } from './processor';

/** Day partitions of readings ahead of their data, packed indexes for finished days; errors go to the queue's retries. */
export function createEnsurePartitionsProcessor(deps: PartitionMaintenanceDeps): Processor<'ensure-partitions'> {
  return (_data, { log }) => maintainReadingPartitions(deps, log);
}
