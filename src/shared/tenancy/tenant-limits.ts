import { AppError } from '../errors';

/** One per-tenant cap: what it counts, whose, how many, and the setting that raises it. */
export interface TenantCap {
  /** Plural: "alert rules". */
  what: string;
  /** Whose: "community <id>". */
  per: string;
  max: number;
  /** The environment variable that sets `max`. */
  setting: string;
  /** What the caller can do about it; "delete one before adding another" when absent. */
  remedy?: string;
}

/** 409 TENANT_LIMIT_REACHED: a create would go past a per-tenant cap. details: {setting, max, current}. */
export class TenantLimitReachedError extends AppError {
  constructor(cap: TenantCap, current: number) {
    super(`Tenant limit reached: ${cap.per} already has ${current} ${cap.what}, the most allowed (${cap.setting}=${cap.max}); ${cap.remedy ?? 'delete one before adding another'}`, {
      code: 'TENANT_LIMIT_REACHED',
      kind: 'user',
      httpStatus: 409,
      details: { setting: cap.setting, max: cap.max, current },
    });
  }
}

/** Throws when `current` already fills the cap. */
export function enforceCap(cap: TenantCap, current: number): void {
  if (current >= cap.max) throw new TenantLimitReachedError(cap, current);
}
