/**
 * `npm run rotate-encryption-key [-- --dry-run] [-- --batch-size=500]`: re-encrypts every ThingSpeak
 * read key and webhook signing secret under ENCRYPTION_KEY, reading them with ENCRYPTION_KEY or any
 * of ENCRYPTION_KEYS_PREVIOUS, and upgrades values in the old unbound format. Runs while the API and
 * workers run (short batches, compare-and-set writes) and can be repeated: what is current is skipped.
 * Prints counts and key ids only, never a secret. Exit 0 when every value is current, 1 when some
 * value no configured key opens (its ids are listed), 2 when the run itself failed.
 */
import { ConfigError, loadConfig } from '../src/shared/config';
import { createLogger } from '../src/shared/logger';
import { createDb } from '../src/shared/db/knex';
import { createSealedSecretsRepository } from '../src/shared/crypto/sealed-secrets.repository';
import { resealSecrets, type ResealReport } from '../src/shared/crypto/reseal-secrets';

const out = (line = '') => process.stdout.write(`${line}\n`);
const DEFAULT_BATCH_SIZE = 500;
const MAX_LISTED_IDS = 50;

function parseArgs(argv: string[]): { dryRun: boolean; batchSize: number } {
  let dryRun = false;
  let batchSize = DEFAULT_BATCH_SIZE;
  for (const arg of argv) {
    const size = /^--batch-size=(\d+)$/.exec(arg);
    if (arg === '--dry-run') dryRun = true;
    else if (size && Number(size[1]) >= 1 && Number(size[1]) <= 10_000) batchSize = Number(size[1]);
    else throw new Error(`unknown argument ${JSON.stringify(arg)} (use --dry-run and --batch-size=1..10000)`);
  }
  return { dryRun, batchSize };
}

function describe(r: ResealReport, dryRun: boolean): string {
  const parts = [
    `${r.scanned} scanned`,
    `${r.resealed} ${dryRun ? 'to re-encrypt' : 're-encrypted'}`,
    `${r.alreadyCurrent} already current`,
    ...(dryRun ? [] : [`${r.changedMeanwhile} changed meanwhile (kept)`]),
    `${r.unreadableIds.length} unreadable`,
  ];
  return `${r.column}: ${parts.join(', ')}`;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const config = loadConfig(process.env, 'tool');
  const keys = config.encryptionKey;
  const previous = keys.previous.map((k) => k.id);
  out(`current key ${keys.current.id}; previous keys: ${previous.length > 0 ? previous.join(', ') : 'none (only values under the current key or in the old format can be read)'}`);
  if (args.dryRun) out('dry run: nothing is written');

  const log = createLogger({ service: 'rotate-encryption-key', version: config.version, level: 'warn' });
  const db = createDb(config, log, { poolMax: 2 });
  try {
    const reports = await resealSecrets(createSealedSecretsRepository(db), keys, { batchSize: args.batchSize, dryRun: args.dryRun });
    for (const r of reports) {
      out(describe(r, args.dryRun));
      if (r.unreadableIds.length > 0) {
        const listed = r.unreadableIds.slice(0, MAX_LISTED_IDS).join(', ');
        const more = r.unreadableIds.length > MAX_LISTED_IDS ? ` and ${r.unreadableIds.length - MAX_LISTED_IDS} more` : '';
        out(`  unreadable ids (enter their secret again, or add the key that sealed them to ENCRYPTION_KEYS_PREVIOUS): ${listed}${more}`);
      }
    }
    const unreadable = reports.reduce((n, r) => n + r.unreadableIds.length, 0);
    if (unreadable > 0) {
      out(`${unreadable} value(s) could not be read: keep ENCRYPTION_KEYS_PREVIOUS until they are dealt with`);
      return 1;
    }
    out(args.dryRun ? 'dry run done' : 'every value is sealed under the current key: ENCRYPTION_KEYS_PREVIOUS can be removed');
    return 0;
  } finally {
    await db.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    // A ConfigError lists variable names and reasons, never values; anything else is reduced to its message.
    out(err instanceof ConfigError ? err.message : `rotate-encryption-key failed: ${(err as Error).message}`);
    process.exit(2);
  },
);
