import type { Finding, FindingLevel } from './finding';

const LABEL: Record<FindingLevel, string> = { ok: 'OK', warn: 'WARN', fix: 'FIX' };
const COLOUR: Record<FindingLevel, string> = { ok: '\x1b[32m', warn: '\x1b[33m', fix: '\x1b[31m' };
const RESET = '\x1b[0m';

/** `FIX  database-url  <message> -> <fix>`: one plain-text line, columns aligned over the report. */
export function formatFinding(finding: Finding, checkWidth: number): string {
  const fix = finding.fix ? ` -> ${finding.fix}` : '';
  return `${LABEL[finding.level].padEnd(4)} ${finding.check.padEnd(checkWidth)}  ${finding.message}${fix}`;
}

export function checkColumnWidth(findings: readonly Finding[]): number {
  return Math.max(0, ...findings.map((f) => f.check.length));
}

/** Colours only the level label, so scrubbing and grepping see the same text as a pipe would. */
export function colourise(line: string, level: FindingLevel): string {
  const label = LABEL[level];
  return `${COLOUR[level]}${label}${RESET}${line.slice(label.length)}`;
}

export function countByLevel(findings: readonly Finding[]): Record<FindingLevel, number> {
  const counts: Record<FindingLevel, number> = { ok: 0, warn: 0, fix: 0 };
  for (const f of findings) counts[f.level]++;
  return counts;
}

export function summaryLine(findings: readonly Finding[]): string {
  const c = countByLevel(findings);
  const verdict = c.fix > 0 ? 'something must be fixed (exit 1)' : 'nothing must be fixed (exit 0)';
  return `doctor: ${c.fix} to fix, ${c.warn} warning(s), ${c.ok} ok: ${verdict}`;
}

/** 1 when anything must be fixed; warnings alone do not fail a deploy. */
export function exitCodeOf(findings: readonly Finding[]): 0 | 1 {
  return findings.some((f) => f.level === 'fix') ? 1 : 0;
}
