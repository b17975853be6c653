import { runMigrations } from '../../../src/shared/db/migrate';
import { openOwnDatabase } from '../../helpers/own-database';
import { itDatabaseUrl, testDatabaseName, withDatabase } from '../../setup/test-env';

/**
 * A migrated database of the test file's own, for tests that run the ADMIN_API_KEY bootstrap: it
 * revokes every other bootstrap key in its database, which must not reach another file's keys.
 */
export async function openMigratedDatabase(suffix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const own = await openOwnDatabase(suffix);
  await runMigrations(own.db, 'latest');
  return { url: withDatabase(itDatabaseUrl(), `${testDatabaseName()}_${suffix}`), drop: own.drop };
}
