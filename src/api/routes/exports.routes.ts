import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Core } from '../../shared/core';
import { NotFoundError, ValidationError } from '../../shared/errors';
import { ALERT_CSV_COLUMNS, alertCsvRecord, type AlertExportRow } from '../../shared/alerts/alerts-csv';
import { readingCsvRecord, readingsCsvLayout } from '../../shared/readings/readings-csv';
import type { ReadingExportRow } from '../../shared/readings/readings-export.repository';
import { authOf } from '../middleware/auth';
import { parse } from '../middleware/validate';
import { ALL_ROLES, apiDoc, type RouteDoc } from '../openapi/route-doc';
import { sendCsv } from '../export/csv-response';
import type { ExportSlots } from '../export/export-slots';
import { alertFilterOf, alertFilterQuery } from './alerts.routes';
import { uuidParam } from './pagination';

const isoTime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' });

export const readingsCsvQuery = z
  .object({
    from: isoTime.optional(),
    to: isoTime.optional(),
    channelId: z.coerce.number().int().positive().optional(),
  })
  .strict();

const CSV_ERRORS = { 503: 'EXPORTS_BUSY: this server already runs EXPORT_MAX_CONCURRENT exports (retry after Retry-After), or the database is unavailable' } as const;

export const READINGS_CSV_DESCRIPTION =
  'All readings between `from` and `to` (default: all), oldest first, optionally of one channel, streamed as CSV (RFC 4180, UTF-8, CRLF). ' +
  'Columns: `recorded_at` (ISO UTC), `channel_id`, `epoch`, `entry_id`, then for each alias of the channels\' field mappings `<alias>` (parsed number, empty when none) ' +
  'and `<alias>_raw` (the text ThingSpeak sent; `""` for an empty string, empty when absent), then `other_fields_raw` (unmapped fields\' texts as a JSON object). ' +
  'An error after the first bytes cannot change the status: the transfer is cut short instead (no final chunk).';

const DOCS = {
  readings: {
    summary: "A node's readings as CSV (streamed)",
    description: READINGS_CSV_DESCRIPTION,
    tag: 'nodes',
    auth: ALL_ROLES,
    params: uuidParam,
    query: readingsCsvQuery,
    responses: { 200: { description: 'The CSV, as an attachment', contentType: 'text/csv', schema: z.string() } },
    errors: { 404: 'NODE_NOT_FOUND', ...CSV_ERRORS },
  },
  alerts: {
    summary: 'Alerts in scope as CSV (streamed)',
    description:
      'The alerts the list (GET /alerts) would page through for the same filters, newest first, all of them, as CSV (RFC 4180, UTF-8, CRLF): one row per alert, ' +
      'its fields in snake_case with the node label, times as ISO UTC. An error after the first bytes cuts the transfer short.',
    tag: 'alerts',
    auth: ALL_ROLES,
    query: alertFilterQuery,
    responses: { 200: { description: 'The CSV, as an attachment', contentType: 'text/csv', schema: z.string() } },
    errors: CSV_ERRORS,
  },
} satisfies Record<string, RouteDoc>;

/** GET /nodes/:id/readings.csv, and GET /nodes/:id/readings with Accept: text/csv. */
export async function sendReadingsCsv(core: Core, slots: ExportSlots, req: Request, res: Response): Promise<void> {
  const { id } = parse(uuidParam, req.params, 'path');
  const q = parse(readingsCsvQuery, req.query, 'query');
  const from = q.from ? new Date(q.from) : undefined;
  const to = q.to ? new Date(q.to) : undefined;
  if (from && to && from >= to) throw new ValidationError('Invalid query: query.from: must be earlier than query.to');
  if (!(await core.repos.nodes.get(authOf(req).scope, id))) throw new NotFoundError(`Node ${id} was not found`, 'NODE_NOT_FOUND');
  const epochs = await core.repos.readingsExport.epochsOf(id, q.channelId);
  const layout = readingsCsvLayout(epochs);
  await sendCsv<ReadingExportRow>(req, res, slots, {
    kind: 'readings',
    filename: `readings-${id}.csv`,
    columns: layout.columns,
    toRecord: (row) => readingCsvRecord(layout, row),
    run: (consume) => core.repos.readingsExport.stream({ channelEpochIds: epochs.map((e) => e.channelEpochId), from, to }, { timeoutMs: core.config.export.timeoutMs }, consume),
  });
}

/** CSV exports: streamed from a database cursor, at most EXPORT_MAX_CONCURRENT at once per process. */
export function exportsRoutes(core: Core, slots: ExportSlots): Router {
  const router = Router();

  router.get('/nodes/:id/readings.csv', apiDoc(DOCS.readings), async (req, res) => {
    await sendReadingsCsv(core, slots, req, res);
  });

  router.get('/alerts.csv', apiDoc(DOCS.alerts), async (req, res) => {
    const filter = alertFilterOf(parse(alertFilterQuery, req.query, 'query'));
    const scope = authOf(req).scope;
    await sendCsv<AlertExportRow>(req, res, slots, {
      kind: 'alerts',
      filename: `alerts-${new Date().toISOString().slice(0, 10)}.csv`,
      columns: ALERT_CSV_COLUMNS,
      toRecord: alertCsvRecord,
      run: (consume) => core.repos.alerts.stream(scope, filter, { timeoutMs: core.config.export.timeoutMs }, consume),
    });
  });

  return router;
}
