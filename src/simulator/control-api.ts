import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../shared/errors';
import { FIELD_KEYS, type FieldKey } from '../shared/thingspeak/feed';
import { FAULT_KINDS, type FaultKind } from './faults';
import { renderTime } from './feed-json';
import { readJsonBody, sendJson } from './http-io';
import type { ThingSpeakSimulator } from './simulator-types';

/**
 * JSON control API under /_sim/ so that another process (demo, failure drills) can drive the
 * simulator the way tests do in-process. Dates are ISO 8601 strings.
 *
 *   GET  /_sim/channels                     list channels
 *   POST /_sim/channels                     create: {id, name?, readKey?, fields?, createdAt?, latencyMs?, kind?}
 *   POST /_sim/channels/:id/entries         {entries: [{createdAt?, fields}]} or {generate: n, stepMs?, start?, messy?, kind?}
 *   GET  /_sim/channels/:id/entries         every stored entry, entry id order
 *   POST /_sim/channels/:id/clear           delete all entries (ids restart at 1)
 *   POST /_sim/channels/:id/fault           a fault {kind, times?, delayMs?, retryAfterSeconds?} or null; id may be *
 *   POST /_sim/latency                      {ms}
 *   GET  /_sim/stats,  POST /_sim/stats/reset
 */
const isoDate = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO 8601 date' })
  .transform((s) => new Date(s));

const fieldKey = z.enum(FIELD_KEYS);
const kind = z.enum(['tank', 'flow', 'deep']);

const createChannelBody = z.object({
  id: z.number().int().positive(),
  name: z.string().optional(),
  readKey: z.string().min(1).optional(),
  fields: z.partialRecord(fieldKey, z.string()).optional(),
  createdAt: isoDate.optional(),
  latencyMs: z.number().int().nonnegative().optional(),
  kind: kind.optional(),
});

const entriesBody = z.union([
  z.object({
    entries: z.array(z.object({ createdAt: isoDate.optional(), fields: z.partialRecord(fieldKey, z.string().nullable()) })),
  }),
  z.object({
    generate: z.number().int().nonnegative().max(1_000_000),
    stepMs: z.number().int().positive().optional(),
    start: isoDate.optional(),
    messy: z.boolean().optional(),
    kind: kind.optional(),
  }),
]);

const faultBody = z
  .object({
    kind: z.enum(FAULT_KINDS as [FaultKind, ...FaultKind[]]),
    times: z.number().int().positive().optional(),
    delayMs: z.number().int().nonnegative().optional(),
    retryAfterSeconds: z.number().int().nonnegative().optional(),
  })
  .nullable();

const latencyBody = z.object({ ms: z.number().int().nonnegative() });

const CHANNEL_ROUTE = /^\/_sim\/channels\/([^/]+)\/(entries|clear|fault)$/;

export function createControlApi(sim: ThingSpeakSimulator) {
  return async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const path = url.pathname;
    if (!path.startsWith('/_sim/')) return false;
    const route = `${req.method ?? 'GET'} ${path}`;

    if (route === 'GET /_sim/channels') {
      const channels = sim.channels().map((c) => ({
        id: c.id,
        name: c.name,
        kind: c.kind,
        private: c.readKey !== undefined,
        lastEntryId: c.lastEntryId,
      }));
      return done(res, 200, { channels });
    }
    if (route === 'POST /_sim/channels') {
      const spec = parse(createChannelBody, await readJsonBody(req));
      sim.createChannel({ ...spec, fields: spec.fields as Partial<Record<FieldKey, string>> | undefined });
      return done(res, 201, { id: spec.id });
    }
    if (route === 'GET /_sim/stats') return done(res, 200, sim.stats());
    if (route === 'POST /_sim/stats/reset') {
      sim.resetStats();
      return done(res, 200, sim.stats());
    }
    if (route === 'POST /_sim/latency') {
      sim.setLatency(parse(latencyBody, await readJsonBody(req)).ms);
      return done(res, 200, { ok: true });
    }

    const match = CHANNEL_ROUTE.exec(path);
    if (!match) throw new NotFoundError(`No simulator control route ${route}`, 'SIM_ROUTE_NOT_FOUND');
    const target = decodeURIComponent(match[1]!);
    const action = `${req.method ?? 'GET'} ${match[2]!}`;

    if (action === 'POST fault') {
      const fault = parse(faultBody, await readJsonBody(req));
      sim.setFault(target === '*' ? '*' : channelIdOf(target), fault);
      return done(res, 200, { ok: true });
    }
    const id = channelIdOf(target);
    if (action === 'GET entries') {
      const entries = sim.entries(id).map((e) => ({ entryId: e.entryId, createdAt: renderTime(e.createdAt), fields: e.fields }));
      return done(res, 200, { entries });
    }
    if (action === 'POST entries') {
      const body = parse(entriesBody, await readJsonBody(req));
      const entryIds =
        'entries' in body
          ? sim.appendEntries(id, body.entries)
          : sim.appendGenerated(id, body.generate, { stepMs: body.stepMs, start: body.start, messy: body.messy, kind: body.kind });
      return done(res, 201, { entryIds });
    }
    if (action === 'POST clear') {
      sim.clearChannel(id);
      return done(res, 200, { ok: true });
    }
    throw new NotFoundError(`No simulator control route ${route}`, 'SIM_ROUTE_NOT_FOUND');
  };
}

function done(res: ServerResponse, status: number, body: unknown): true {
  sendJson(res, status, body);
  return true;
}

function parse<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
    throw new ValidationError(`Invalid simulator request: ${problems}`);
  }
  return result.data;
}

function channelIdOf(text: string): number {
  if (!/^\d+$/.test(text)) throw new ValidationError(`Channel id must be digits, got "${text}"`);
  return Number(text);
}
