import { loadConfig } from '../../src/shared/config';
test('config loads', () => { expect(loadConfig({ DATABASE_URL: 'postgres://a@b/c' }, 'api').poll.intervalMs).toBe(60000); });
