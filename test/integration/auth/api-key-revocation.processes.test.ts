import { createTestCore, testEnv, type TestCore } from '../../helpers/test-core';
import { apiClient, issueKey } from '../../helpers/http';
import { startProcess, stopProcess, type RunningProcess } from '../../helpers/processes';
import { waitFor } from '../../helpers/wait-for';
import { connectLive, issueTicket } from '../ws/live-test-client';

/**
 * A key revoked through one API process is refused by another at once, although both cache keys,
 * and its live sockets there are closed: only the revocation announced over Redis can do either.
 */
describe('API key revocation across API processes', () => {
  let core: TestCore;
  let other: RunningProcess;
  let otherUrl: string;

  beforeAll(async () => {
    core = createTestCore({}, 'api');
    // A cache and a socket key recheck far longer than the test: only the announcement can act.
    other = startProcess('api/main.ts', testEnv({ QUEUE_PREFIX: core.prefix, PORT: '0', API_KEY_CACHE_MS: '300000', LIVE_KEY_RECHECK_MS: '3600000' }));
    const { port } = JSON.parse(await other.waitForLine(/api started/)) as { port: number };
    await other.waitForLine(/live events subscribed/);
    otherUrl = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await stopProcess(other);
    await core.close();
  });

  const get = (key: string) => fetch(`${otherUrl}/api/v1/communities`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);

  test('when a cached key is revoked through another process, then this process refuses it within moments, long before its cache expires', async () => {
    const admin = await issueKey(core, { role: 'superadmin' });
    const { key: victim, record } = await core.repos.apiKeys.create({ label: 'victim', role: 'superadmin', distributorId: null, communityId: null });
    expect(await get(victim)).toBe(200);
    expect(await get(victim)).toBe(200);

    // Revoked through this test's own app: the other process only hears of it over Redis.
    await apiClient(core, admin).del(`/api/v1/api-keys/${record.id}`).expect(204);

    await waitFor(async () => (await get(victim)) === 401, { timeoutMs: 3_000, what: 'the revoked key refused by the other process' });
    expect(await get(admin)).toBe(200);
  });

  test('when a key with live sockets on another process is revoked, then those sockets close with 4401 "api key revoked" well within 15 s; other keys\' sockets stay open', async () => {
    const admin = await issueKey(core, { role: 'superadmin' });
    const { key: victim, record } = await core.repos.apiKeys.create({ label: 'live victim', role: 'superadmin', distributorId: null, communityId: null });
    const wsUrl = `${otherUrl.replace('http:', 'ws:')}/api/v1/ws`;
    const byBearer = await connectLive(wsUrl, { key: victim });
    const byTicket = await connectLive(`${wsUrl}?ticket=${await issueTicket(otherUrl, victim)}`);
    const bystander = await connectLive(wsUrl, { key: admin });
    try {
      await apiClient(core, admin).del(`/api/v1/api-keys/${record.id}`).expect(204);

      for (const client of [byBearer, byTicket]) {
        await waitFor(() => client.closeCode() !== undefined, { timeoutMs: 15_000, what: 'the revoked key\'s socket on the other process closed' });
        expect({ code: client.closeCode(), reason: client.closeReason() }).toEqual({ code: 4401, reason: 'api key revoked' });
      }
      expect(bystander.closeCode()).toBeUndefined();
      expect(other.output.join('\n')).not.toContain(victim);
    } finally {
      for (const c of [byBearer, byTicket, bystander]) c.close();
    }
  });
});
