import { AppError } from '../../shared/errors';

/** 503: this API process already runs as many CSV exports as EXPORT_MAX_CONCURRENT allows. */
export class ExportsBusyError extends AppError {
  readonly retryAfterSeconds: number;
  constructor(max: number, retryAfterSeconds = 10) {
    super(`Too many CSV exports are running on this server (at most ${max} at once); retry in ${retryAfterSeconds} s`, {
      code: 'EXPORTS_BUSY',
      kind: 'operational',
      httpStatus: 503,
    });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export interface ExportSlots {
  /** Takes a slot, or throws ExportsBusyError; call the returned function once to give it back. */
  acquire(): () => void;
  readonly inUse: number;
}

/**
 * A per-process cap on running exports. Each holds a pooled connection for as long as its client
 * downloads, so without a cap a few slow downloads would leave no connection for other requests.
 * Refusing (not queueing) keeps the answer immediate; the client retries after Retry-After.
 */
export function createExportSlots(max: number): ExportSlots {
  let inUse = 0;
  return {
    acquire() {
      if (inUse >= max) throw new ExportsBusyError(max);
      inUse++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        inUse--;
      };
    },
    get inUse() {
      return inUse;
    },
  };
}
