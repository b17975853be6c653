import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import IORedis from 'ioredis';
import { createThingSpeakSimulator } from '../../../src/simulator/thingspeak-simulator';
import { PROBE_CHANNEL_ID } from '../../../src/tools/doctor/checks/thingspeak.check';
import { PROBE_TIMEOUT_MS } from '../../../src/tools/doctor/targets';
import { itDatabaseUrl, itRedisUrl } from '../../setup/test-env';

const ROOT = path.join(__dirname, '..', '..', '..');
/** Far above the doctor's own deadlines (4 s probe + 2 s slack): reaching it means the doctor hung. */
const HANG_LIMIT_MS = 30_000;

interface DoctorRun {
  code: number | null;
  lines: string[];
  output: string;
  elapsedMs: number;
}

/** Runs the real CLI as `npm run doctor` would, with only the given environment (plus PATH). */
function runDoctorCli(env: Record<string, string>): Promise<DoctorRun> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('src', 'tools', 'doctor', 'main.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const killer = setTimeout(() => child.kill('SIGKILL'), HANG_LIMIT_MS);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(killer);
      resolve({ code, output, lines: output.split('\n').filter(Boolean), elapsedMs: Date.now() - started });
    });
  });
}

/** A port nobody listens on: bound by us, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Accepts connections and never says a word: what a black-holed service looks like to a client. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      sockets.forEach((s) => s.destroy());
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('npm run doctor (the real CLI)', () => {
  const sim = createThingSpeakSimulator();
  let simUrl = '';

  beforeAll(async () => {
    sim.createChannel({ id: PROBE_CHANNEL_ID, name: 'doctor probe' });
    simUrl = (await sim.listen(0)).url;
  });
  afterAll(() => sim.close());

  test('given the suite Postgres, Redis and the simulator, when the doctor runs, then every dependency is ok and the exit code follows the Redis eviction policy', async () => {
    const redis = new IORedis(itRedisUrl(), { lazyConnect: true });
    const [, policy] = (await redis.config('GET', 'maxmemory-policy')) as [string, string];
    redis.disconnect();

    const run = await runDoctorCli({ DATABASE_URL: itDatabaseUrl(), REDIS_URL: itRedisUrl(), THINGSPEAK_BASE_URL: simUrl });

    expect(run.lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^OK +config +valid for NODE_ENV=development$/),
        expect.stringMatching(/^OK +database +connected to [^ ]+:\d+\/\w+ in \d+ ms; PostgreSQL \d+/),
        expect.stringMatching(/^OK +migrations +no pending migrations$/),
        expect.stringMatching(/^OK +redis +Redis \d+\.\d+/),
        expect.stringMatching(new RegExp(`^OK +thingspeak +${simUrl.replace(/\/$/, '')} answered in \\d+ ms`)),
      ]),
    );
    if (policy === 'noeviction') {
      expect(run.lines.filter((l) => l.startsWith('FIX'))).toEqual([]);
      expect(run.code).toBe(0);
    } else {
      expect(run.lines.filter((l) => l.startsWith('FIX'))).toEqual([expect.stringMatching(new RegExp(`^FIX +redis +maxmemory-policy is ${policy}`))]);
      expect(run.code).toBe(1);
    }
    expect(run.lines.at(-1)).toMatch(/^doctor: \d+ to fix, \d+ warning\(s\), \d+ ok/);
  });

  test('given the Supabase direct host with a password, when the doctor runs, then it names the IPv6 problem and the session pooler, exits 1 and never prints the password', async () => {
    const run = await runDoctorCli({
      DATABASE_URL: 'postgresql://postgres:S3cretPassw0rd@db.abc.supabase.co:5432/postgres',
      REDIS_URL: itRedisUrl(),
      THINGSPEAK_BASE_URL: simUrl,
    });

    const ipv6 = run.lines.find((l) => /^FIX +database-url +.*IPv6-only/.test(l));
    expect(ipv6).toMatch(/db\.abc\.supabase\.co/);
    expect(ipv6).toMatch(/-> use the Supavisor session pooler aws-0-<region>\.pooler\.supabase\.com:5432 with user postgres\.abc/);
    expect(run.lines).toEqual(expect.arrayContaining([expect.stringMatching(/^FIX +database +cannot connect to db\.abc\.supabase\.co:5432/)]));
    expect(run.code).toBe(1);
    expect(run.output).not.toContain('S3cretPassw0rd');
    expect(run.output).toContain('postgres:****@db.abc.supabase.co');
  });

  test('given production with a weak ADMIN_API_KEY and no ENCRYPTION_KEY, when the doctor runs, then both are FIX lines, the dependencies are still checked and it exits 1', async () => {
    const weakKey = 'changeme-changeme-changeme-changeme';
    const run = await runDoctorCli({ NODE_ENV: 'production', ADMIN_API_KEY: weakKey, DATABASE_URL: itDatabaseUrl(), REDIS_URL: itRedisUrl(), THINGSPEAK_BASE_URL: simUrl });

    expect(run.lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^FIX +secrets +ADMIN_API_KEY contains the well-known word "changeme".* -> generate one with `openssl rand -base64 32`/),
        expect.stringMatching(/^FIX +config +ENCRYPTION_KEY: is required in production/),
        expect.stringMatching(/^OK +database +connected/),
        expect.stringMatching(/^OK +redis +connected/),
      ]),
    );
    expect(run.code).toBe(1);
    expect(run.output).not.toContain(weakKey);
  });

  test('given production with a remote database and no TLS, when the doctor runs, then one FIX line says the processes refuse it and how to fix it, and no secret is printed', async () => {
    const run = await runDoctorCli({
      NODE_ENV: 'production',
      ADMIN_API_KEY: 'a5f0c3b29e8d47d1b6a3f1e2c9d8b7a6f5e4d3c2',
      ENCRYPTION_KEY: 'DIYyZxsbdlaa6C4cgEN+uoFBbdoleBUP0na0TTW7/5I=',
      DATABASE_URL: 'postgres://evara:Xk29vLq81PzR4mWt@db.doctor-test.invalid:5432/evara',
      REDIS_URL: itRedisUrl(),
      THINGSPEAK_BASE_URL: simUrl,
    });

    const tls = run.lines.filter((l) => / not encrypted/.test(l));
    expect(tls).toEqual([expect.stringMatching(/^FIX +config +DATABASE_URL: no sslmode .*db\.doctor-test\.invalid is not encrypted.*refused in production.*DATABASE_SSL=disable/)]);
    expect(run.code).toBe(1);
    expect(run.output).not.toContain('Xk29vLq81PzR4mWt');
  });

  test('given nothing listening on the database and Redis ports, when the doctor runs, then each is a FIX line and it ends at once', async () => {
    const [dbPort, redisPort] = [await closedPort(), await closedPort()];

    const run = await runDoctorCli({ DATABASE_URL: `postgres://postgres@127.0.0.1:${dbPort}/evara`, REDIS_URL: `redis://127.0.0.1:${redisPort}`, THINGSPEAK_BASE_URL: simUrl });

    expect(run.lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^FIX +database +cannot connect to 127\\.0\\.0\\.1:${dbPort} \\(ECONNREFUSED.* -> nothing listens`)),
        expect.stringMatching(new RegExp(`^FIX +redis +cannot connect to redis://127\\.0\\.0\\.1:${redisPort}.*ECONNREFUSED.* -> nothing listens`)),
      ]),
    );
    expect(run.code).toBe(1);
  });

  test('given services that accept connections and never answer, when the doctor runs, then each is a FIX line within the doctor\'s own deadlines', async () => {
    const silent = await silentServer();
    try {
      const run = await runDoctorCli({
        DATABASE_URL: `postgres://postgres@127.0.0.1:${silent.port}/evara`,
        REDIS_URL: `redis://127.0.0.1:${silent.port}`,
        THINGSPEAK_BASE_URL: `http://127.0.0.1:${silent.port}`,
      });

      // Each probe gives up at its own timeout, so each line says why rather than a generic overrun.
      for (const check of ['database', 'redis', 'thingspeak']) {
        expect(run.lines).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^FIX +${check} +.*within ${PROBE_TIMEOUT_MS} ms`))]));
      }
      expect(run.code).toBe(1);
      // The probes run in parallel: one timeout plus process start-up, far from the hang limit.
      expect(run.elapsedMs).toBeLessThan(PROBE_TIMEOUT_MS + 10_000);
    } finally {
      await silent.close();
    }
  });
});
