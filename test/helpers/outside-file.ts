/**
 * Optional files from outside the repository (e.g. the workplace's ../shared/ folder beside the
 * checkout). CI and developer machines have them; a fresh clone on its own does not. A check that
 * needs such a file must neither fail nor pass silently without it: it is skipped, with the reason
 * in its title and printed once to stderr, while the rest of its test file still runs.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The repository root (this file is test/helpers/outside-file.ts). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export type OptionalFile =
  | { present: true; label: string; rel: string; path: string }
  | { present: false; label: string; reason: string };

/** A test function like `it`, without `.each`/`.only`; see `itNeeding`. */
export type NeedingIt = (name: string, fn: jest.ProvidesCallback, timeout?: number) => void;

/**
 * Looks for `label` at `candidates` (paths relative to the repository root; the first present one
 * wins, so an in-repo copy can come before the ../ one). When none is present, writes the reason
 * to stderr once and returns it; call this once per test file, at load time.
 */
export function findOptionalFile(label: string, candidates: readonly string[]): OptionalFile {
  if (candidates.length === 0) throw new Error(`findOptionalFile(${label}): no candidate paths`);
  for (const rel of candidates) {
    const full = path.resolve(REPO_ROOT, rel);
    if (existsSync(full)) return { present: true, label, rel, path: full };
  }
  const reason = `${label} is absent beside this checkout: looked for ${candidates.join(' and ')} from ${REPO_ROOT}`;
  process.stderr.write(`\n[test] ${reason}. The checks that need it are skipped.\n\n`);
  return { present: false, label, reason };
}

/** `it` when the file is present; otherwise `it.skip`, with "(skipped: <reason>)" added to the title. */
export function itNeeding(file: OptionalFile): NeedingIt {
  if (file.present) return (name, fn, timeout) => it(name, fn, timeout);
  return (name, fn, timeout) => it.skip(`${name} (skipped: ${file.reason})`, fn, timeout);
}
