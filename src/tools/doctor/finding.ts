/**
 * One line of the doctor's report. `fix` means Evara will fail or is unsafe as configured (exit 1);
 * `warn` is advice; `ok` says what was checked and found fine.
 */
export type FindingLevel = 'ok' | 'warn' | 'fix';

export interface Finding {
  level: FindingLevel;
  /** Short, stable name of the check (`database-url`, `redis`, ...): greppable in CI output. */
  check: string;
  message: string;
  /** What to change; required in spirit for `fix`, optional for `warn`. */
  fix?: string;
}

export const ok = (check: string, message: string): Finding => ({ level: 'ok', check, message });
export const warn = (check: string, message: string, fix?: string): Finding => ({ level: 'warn', check, message, ...(fix ? { fix } : {}) });
export const mustFix = (check: string, message: string, fix: string): Finding => ({ level: 'fix', check, message, fix });
