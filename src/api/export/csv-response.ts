import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { stringify, type Options as CsvOptions } from 'csv-stringify/sync';
import type { ExportSlots } from './export-slots';

export interface CsvExport<Row> {
  /** What is exported, for the logs ("readings", "alerts"). */
  kind: string;
  /** The Content-Disposition file name. */
  filename: string;
  columns: readonly string[];
  toRecord(row: Row): unknown[];
  /** Runs the query and hands its row stream to `consume` (a repository's stream method). */
  run(consume: (rows: Readable) => Promise<void>): Promise<void>;
}

/** The response went away before the export was written to the end. */
class ClientGoneError extends Error {
  constructor() {
    super('the client closed the connection before the export ended');
  }
}

// Written to the socket in slices this big: one res.write per CSV line would make one HTTP chunk
// (size line, CRLFs) and one syscall per row.
const SLICE_BYTES = 64 * 1024;

/**
 * A Writable in front of the response that batches CSV text into slices and passes the socket's
 * backpressure back up the pipeline (the cursor fetches no more rows than the client reads). When
 * the client goes away it fails, so the pipeline is torn down and the cursor closed. It does not
 * end the response: sendCsv does.
 */
function responseSink(res: Response): Writable {
  let pending: string[] = [];
  let size = 0;
  const flush = (done: (err?: Error | null) => void) => {
    if (size === 0) return done();
    const slice = pending.join('');
    pending = [];
    size = 0;
    if (res.write(slice)) done();
    else res.once('drain', () => done());
  };
  const sink = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, done) {
      const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      pending.push(text);
      size += text.length;
      if (size < SLICE_BYTES) return done();
      flush(done);
    },
    // The response is ended by sendCsv once the cursor's transaction is over and the slot is free:
    // a client that starts its next export on receiving the last byte must not find the slot taken.
    final(done) {
      flush(done);
    },
  });
  res.once('close', () => {
    if (!res.writableFinished) sink.destroy(new ClientGoneError());
  });
  return sink;
}

// RFC 4180: CRLF line ends; csv-stringify quotes cells with the delimiter or a quote (doubling it);
// CR or LF alone and the empty string are quoted too ("" is not an absent value).
const CSV_OPTIONS: CsvOptions = { record_delimiter: 'windows', quoted_match: [/^$/, /[\r\n]/], cast: { boolean: (v) => String(v) } };
const RECORDS_PER_BATCH = 1000;

/**
 * Rows in, CSV text out, a batch of records per csv-stringify call (its sync API): a record at a
 * time through its stream stringifier would add a stream hop and a push per row. The
 * header goes out with the first batch (or alone at the end when there is no row), so nothing is
 * written before the query has answered.
 */
function csvBatches<Row>(exp: CsvExport<Row>, counted: () => void): Transform {
  let batch: unknown[][] = [];
  let headerSent = false;
  const text = () => {
    const records = headerSent ? batch : [[...exp.columns], ...batch];
    headerSent = true;
    batch = [];
    return stringify(records, CSV_OPTIONS);
  };
  return new Transform({
    writableObjectMode: true,
    transform(row: Row, _encoding, done) {
      counted();
      batch.push(exp.toRecord(row));
      done(null, batch.length >= RECORDS_PER_BATCH ? text() : undefined);
    },
    flush(done) {
      done(null, batch.length > 0 || !headerSent ? text() : undefined);
    },
  });
}

/**
 * Streams an export as RFC 4180 CSV (csv-stringify: one header row, CRLF line ends, quotes doubled,
 * any cell with a comma, quote, CR or LF quoted; an empty string quoted as "" so it differs from an
 * absent value). Takes one of the process's export slots for as long as it runs.
 *
 * Errors before the first byte is written (the query failing at once, the slots being full) are
 * thrown: the error handler answers them as usual. After that the status line is gone, so a failure
 * ends the response abruptly instead (the client sees a truncated transfer) and is logged.
 */
export async function sendCsv<Row>(req: Request, res: Response, slots: ExportSlots, exp: CsvExport<Row>): Promise<void> {
  const release = slots.acquire();
  const started = performance.now();
  let rows = 0;
  try {
    res.status(200);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${exp.filename}"`);
    res.setHeader('Cache-Control', 'no-store');
    await exp.run(async (source) => {
      const toCsv = csvBatches(exp, () => rows++);
      await pipeline(source, toCsv, responseSink(res));
    });
    release();
    res.end();
    req.log.info({ export: exp.kind, rows, ms: Math.round(performance.now() - started) }, 'export finished');
  } catch (err) {
    if (err instanceof ClientGoneError || res.destroyed) {
      req.log.info({ export: exp.kind, rows, ms: Math.round(performance.now() - started) }, 'export stopped: the client went away');
      return;
    }
    if (!res.headersSent) {
      // The error handler answers in JSON: take back what was set for the CSV.
      for (const header of ['Content-Type', 'Content-Disposition', 'Cache-Control']) res.removeHeader(header);
      throw err;
    }
    req.log.warn({ err, export: exp.kind, rows }, 'export failed after the response began: cut short');
    res.destroy();
  } finally {
    release();
  }
}
