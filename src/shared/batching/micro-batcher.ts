import { captureTraceContext, runSharedWork } from '../telemetry/shared-work-trace';

/**
 * Natural batching for work that is much cheaper per item in bulk (one transaction or one Redis
 * round trip for many polls). The first item is flushed at once; items submitted while
 * `maxInFlight` flushes are running wait and go together in the next flush. Batches therefore grow
 * with load and add no latency when the process is idle, unlike a timer-based batcher.
 *
 * `run` answers one settled result per item, in order, so one bad item fails alone.
 */
export interface MicroBatcherOptions<I, O> {
  /** Names the batch's span when a batch serves several traced callers. */
  name?: string;
  maxItems: number;
  maxInFlight: number;
  run(items: I[]): Promise<Array<PromiseSettledResult<O>>>;
}

export interface MicroBatcher<I, O> {
  submit(item: I): Promise<O>;
}

interface Waiting<I, O> {
  item: I;
  /** The submitter's trace context: the batch's SQL belongs to the traces it serves. */
  traceContext: unknown;
  resolve(value: O): void;
  reject(reason: unknown): void;
}

export function createMicroBatcher<I, O>(opts: MicroBatcherOptions<I, O>): MicroBatcher<I, O> {
  let queue: Array<Waiting<I, O>> = [];
  let inFlight = 0;

  function pump(): void {
    while (inFlight < opts.maxInFlight && queue.length > 0) {
      const batch = queue.slice(0, opts.maxItems);
      queue = queue.slice(batch.length);
      inFlight += 1;
      void flush(batch).finally(() => {
        inFlight -= 1;
        pump();
      });
    }
  }

  async function flush(batch: Array<Waiting<I, O>>): Promise<void> {
    try {
      const items = batch.map((w) => w.item);
      const results = await runSharedWork(opts.name ?? 'micro-batch', batch.map((w) => w.traceContext), () => opts.run(items));
      batch.forEach((w, i) => {
        const r = results[i];
        if (!r) w.reject(new Error('batch run returned fewer results than items'));
        else if (r.status === 'fulfilled') w.resolve(r.value);
        else w.reject(r.reason);
      });
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }

  return {
    submit(item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, traceContext: captureTraceContext(), resolve, reject });
        // Deferred by a microtask so items submitted in the same tick share the first flush.
        queueMicrotask(pump);
      });
    },
  };
}
