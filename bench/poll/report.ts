/**
 * The bench's output: a table for people and one `BENCH_RESULT {json}` line for machines.
 * Every mode adds its rows and its figures here; nothing else prints results.
 */
export interface Row {
  mode: string;
  figure: string;
  value: string;
  /** The floor measured in the same run, or the ratio to it. */
  floor?: string;
}

export const out = (line = '') => process.stdout.write(`${line}\n`);

export function fmt(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || Number.isNaN(value)) return 'n/a';
  if (!Number.isFinite(value)) return 'inf';
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function printTable(rows: readonly Row[]): void {
  const headers: Row = { mode: 'mode', figure: 'figure', value: 'value', floor: 'floor / ratio (same run)' };
  const all = [headers, ...rows];
  const width = (k: keyof Row) => Math.max(...all.map((r) => (r[k] ?? '').length));
  const w = { mode: width('mode'), figure: width('figure'), value: width('value') };
  const line = (r: Row) => `${r.mode.padEnd(w.mode)}  ${r.figure.padEnd(w.figure)}  ${r.value.padStart(w.value)}  ${r.floor ?? ''}`.trimEnd();
  out(line(headers));
  out(`${'-'.repeat(w.mode)}  ${'-'.repeat(w.figure)}  ${'-'.repeat(w.value)}  ${'-'.repeat(24)}`);
  for (const r of rows) out(line(r));
}

/** JSON without Infinity/NaN (not valid JSON): those become null. */
export function benchResultLine(result: unknown): string {
  return `BENCH_RESULT ${JSON.stringify(result, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}`;
}

/** p-quantile (0..1) by nearest rank; Infinity entries sort last. */
export function quantile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}
