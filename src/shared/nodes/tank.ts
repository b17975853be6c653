/** Tank geometry and the maths the dashboard shows (domain.md test vectors). */
export type LengthUnit = 'cm' | 'm' | 'ft' | 'in';

export type TankConfig =
  | { shape: 'rectangular'; unit: LengthUnit; height: number; length: number; breadth: number }
  | { shape: 'cylinder'; unit: LengthUnit; height: number; radius: number };

const METRES_PER: Record<LengthUnit, number> = { cm: 0.01, m: 1, ft: 0.3048, in: 0.0254 };

export function toMetres(value: number, unit: LengthUnit): number {
  return value * METRES_PER[unit];
}

export type LevelResult = { ok: true; levelPct: number } | { ok: false; reason: string };

/**
 * Level % from the ultrasonic sensor's distance to the water surface:
 * (H - min(d, H)) / H * 100. A missing, zero or negative distance is an invalid reading, not 100 %.
 */
export function tankLevelPct(distanceCm: number | null | undefined, heightCm: number): LevelResult {
  if (!(heightCm > 0)) return { ok: false, reason: 'tank height is not configured' };
  if (distanceCm === null || distanceCm === undefined || !Number.isFinite(distanceCm)) {
    return { ok: false, reason: 'distance missing: invalid reading' };
  }
  if (distanceCm <= 0) return { ok: false, reason: 'distance is 0 or negative: invalid reading' };
  const d = Math.min(distanceCm, heightCm);
  return { ok: true, levelPct: ((heightCm - d) / heightCm) * 100 };
}

/** Full capacity in litres (1 m³ = 1000 L). The old system returned 0 for cylinders. */
export function tankCapacityLitres(tank: TankConfig): number {
  const h = toMetres(tank.height, tank.unit);
  if (tank.shape === 'rectangular') return toMetres(tank.length, tank.unit) * toMetres(tank.breadth, tank.unit) * h * 1000;
  const r = toMetres(tank.radius, tank.unit);
  return Math.PI * r * r * h * 1000;
}

export function tankHeightCm(tank: TankConfig): number {
  return toMetres(tank.height, tank.unit) * 100;
}
