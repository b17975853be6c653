import { Client } from 'pg';

/** Drops (and unless `drop`, creates) a benchmark's own throwaway database on the server of `serverUrl`. */
export async function recreateBenchDatabase(serverUrl: string, name: string, drop: boolean): Promise<void> {
  const admin = new URL(serverUrl);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    if (!drop) await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
}
