import { decryptSecret, encryptSecret, needsResealing } from './secret-box';
import { SEALED_COLUMNS, type SealedColumn } from './secret-contexts';
import type { SecretKeyring } from './secret-keyring';
import type { Reseal, SealedSecretsRepository } from './sealed-secrets.repository';

/** What the rotation did to one column. Ids only: never a secret or a ciphertext. */
export interface ResealReport {
  /** `table.column`. */
  column: string;
  scanned: number;
  /** Re-sealed under the current key (in a dry run: would be). */
  resealed: number;
  /** Already in the current format under the current key: left alone (what makes a rerun cheap). */
  alreadyCurrent: number;
  /** Changed by someone else between read and write (or deleted): the newer value was kept. */
  changedMeanwhile: number;
  /** Rows no configured key opens: their secret must be entered again. */
  unreadableIds: string[];
}

export interface ResealOptions {
  batchSize: number;
  /** Count only, write nothing. */
  dryRun?: boolean;
  columns?: readonly SealedColumn[];
  /** Called after each batch (progress output). */
  onBatch?: (report: ResealReport) => void;
}

/**
 * Re-seals every stored secret under the current key, in the current (row-bound) format: batches
 * in id order, one compare-and-set statement each, no long transaction, so the API and workers
 * keep running. Idempotent: what is already current is skipped.
 */
export async function resealSecrets(repo: SealedSecretsRepository, keys: SecretKeyring, opts: ResealOptions): Promise<ResealReport[]> {
  const reports: ResealReport[] = [];
  for (const col of opts.columns ?? SEALED_COLUMNS) {
    const report: ResealReport = { column: `${col.table}.${col.column}`, scanned: 0, resealed: 0, alreadyCurrent: 0, changedMeanwhile: 0, unreadableIds: [] };
    let after: string | undefined;
    for (;;) {
      const rows = await repo.page(col, after, opts.batchSize);
      if (rows.length === 0) break;
      after = rows[rows.length - 1]!.id;
      const reseals: Reseal[] = [];
      for (const row of rows) {
        report.scanned += 1;
        if (!needsResealing(row.sealed, keys)) {
          report.alreadyCurrent += 1;
          continue;
        }
        const context = col.context(row.id);
        let plaintext: string;
        try {
          plaintext = decryptSecret(row.sealed, keys, context);
        } catch {
          report.unreadableIds.push(row.id);
          continue;
        }
        reseals.push({ id: row.id, from: row.sealed, to: encryptSecret(plaintext, keys, context) });
      }
      if (opts.dryRun) {
        report.resealed += reseals.length;
      } else {
        const written = await repo.replace(col, reseals);
        report.resealed += written.size;
        report.changedMeanwhile += reseals.length - written.size;
      }
      opts.onBatch?.(report);
    }
    reports.push(report);
  }
  return reports;
}
