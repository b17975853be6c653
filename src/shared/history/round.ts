/** `v` rounded to `digits` decimals, for answers that should not carry float noise (0.30000000000000004 L). */
export function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
