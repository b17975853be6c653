import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAppError, ValidationError } from '../shared/errors';
import { createChannelStore } from './channel-store';
import { createControlApi } from './control-api';
import { createFaultRegistry } from './faults';
import { sendJson } from './http-io';
import { createReadApi } from './read-api';
import { createRequestStats } from './request-stats';
import type { ThingSpeakSimulator } from './simulator-types';
import { createValueGenerator, KIND_FIELD_LABELS } from './value-generator';

export type { ChannelSpec, GenerateOptions, GeneratorOptions, NewEntry, ThingSpeakSimulator } from './simulator-types';

const DEFAULT_STEP_MS = 15_000;
const MESSY_RATIO_WHEN_ASKED = 0.1;

/**
 * A local stand-in for ThingSpeak's read API (real HTTP on loopback) for tests, the demo and
 * failure drills. State is in memory; tests drive it through these methods, other processes
 * through the JSON control API under /_sim/ (see control-api.ts).
 */
export function createThingSpeakSimulator(opts: { now?: () => Date; seed?: number } = {}): ThingSpeakSimulator {
  const now = opts.now ?? (() => new Date());
  const store = createChannelStore();
  const faults = createFaultRegistry();
  const stats = createRequestStats();
  const values = createValueGenerator(opts.seed);
  let latencyMs = 0;
  let generatorTimer: NodeJS.Timeout | undefined;
  let server: ReturnType<typeof createServer> | undefined;

  const sim: ThingSpeakSimulator = {
    listen,
    close,
    createChannel(spec) {
      const kind = spec.kind ?? 'tank';
      store.create({
        id: spec.id,
        name: spec.name ?? `Simulated ${kind} ${spec.id}`,
        readKey: spec.readKey,
        fieldLabels: spec.fields ?? KIND_FIELD_LABELS[kind],
        createdAt: spec.createdAt ?? now(),
        latencyMs: spec.latencyMs ?? 0,
        kind,
      });
    },
    channels: () => store.list(),
    appendEntries(id, entries) {
      const at = now();
      return store.append(id, entries.map((e) => ({ createdAt: e.createdAt ?? at, fields: e.fields })));
    },
    appendGenerated(id, count, generate = {}) {
      if (!Number.isInteger(count) || count < 0) throw new ValidationError(`count must be a non-negative integer, got ${count}`);
      const channel = store.require(id);
      const stepMs = generate.stepMs ?? DEFAULT_STEP_MS;
      const startMs = generate.start?.getTime() ?? now().getTime() - (count - 1) * stepMs;
      const kind = generate.kind ?? channel.kind;
      const messyRatio = generate.messyRatio ?? (generate.messy ? MESSY_RATIO_WHEN_ASKED : 0);
      const entries = Array.from({ length: count }, (_, i) => ({
        createdAt: new Date(startMs + i * stepMs),
        fields: values.next(id, kind, { stepMs, messyRatio }),
      }));
      return store.append(id, entries);
    },
    clearChannel: (id) => store.clear(id, now()),
    entries: (id) => store.entries(id),
    setFault: (target, fault) => faults.set(target, fault),
    setLatency(ms) {
      latencyMs = Math.max(0, ms);
    },
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    startGenerator(generator) {
      sim.stopGenerator();
      if (!(generator.cadenceMs > 0)) throw new ValidationError('cadenceMs must be positive');
      const tick = () => {
        const at = now();
        const ids = generator.channels ?? store.list().map((c) => c.id);
        for (const id of ids) {
          const channel = store.get(id);
          if (!channel) continue;
          const fields = values.next(id, channel.kind, { stepMs: generator.cadenceMs, messyRatio: generator.messyRatio ?? 0 });
          store.append(id, [{ createdAt: at, fields }]);
        }
      };
      generatorTimer = setInterval(tick, generator.cadenceMs);
      // The HTTP server is what keeps a simulator process alive, not the generator.
      generatorTimer.unref();
    },
    stopGenerator() {
      if (generatorTimer) clearInterval(generatorTimer);
      generatorTimer = undefined;
    },
  };

  const handleRead = createReadApi({ store, faults, stats, latencyMs: () => latencyMs });
  const handleControl = createControlApi(sim);

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator.local');
    try {
      if (await handleRead(req, res, url)) return;
      if (await handleControl(req, res, url)) return;
      sendJson(res, 404, { status: '404', error: { error_code: 'error_resource_not_found', message: 'Resource not found' } });
    } catch (err) {
      if (isAppError(err)) sendJson(res, err.httpStatus, { error: { code: err.code, message: err.message } });
      else sendJson(res, 500, { error: { code: 'SIMULATOR_FAILED', message: err instanceof Error ? err.message : String(err) } });
    }
  }

  function listen(port = 0, host = '127.0.0.1'): Promise<{ url: string; port: number }> {
    if (server) return Promise.reject(new Error('The simulator is already listening'));
    const created = createServer((req, res) => void route(req, res));
    server = created;
    return new Promise((resolve, reject) => {
      created.once('error', reject);
      created.listen(port, host, () => {
        created.off('error', reject);
        const address = created.address() as AddressInfo;
        resolve({ url: `http://${urlHost(host)}:${address.port}`, port: address.port });
      });
    });
  }

  function close(): Promise<void> {
    sim.stopGenerator();
    const closing = server;
    server = undefined;
    if (!closing) return Promise.resolve();
    return new Promise((resolve, reject) => {
      closing.close((err) => (err ? reject(err) : resolve()));
      // Keep-alive sockets (fetch pools them) and slow requests would otherwise hold close() open.
      closing.closeAllConnections();
    });
  }

  return sim;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
