import { mustFix, ok, warn } from '../../../src/tools/doctor/finding';
import { checkColumnWidth, colourise, exitCodeOf, formatFinding, summaryLine } from '../../../src/tools/doctor/report';
import { createSecretScrubber } from '../../../src/tools/doctor/secret-scrubber';

describe('doctor report', () => {
  const findings = [ok('redis', 'fine'), warn('config', 'careful'), mustFix('database-url', 'broken', 'do this')];

  test('given findings, when formatted, then each is one aligned line with the fix after an arrow', () => {
    const width = checkColumnWidth(findings);
    expect(findings.map((f) => formatFinding(f, width))).toEqual([
      'OK   redis         fine',
      'WARN config        careful',
      'FIX  database-url  broken -> do this',
    ]);
  });

  test('given a fix among the findings, when summarised, then the exit code is 1; warnings alone give 0', () => {
    expect(exitCodeOf(findings)).toBe(1);
    expect(summaryLine(findings)).toBe('doctor: 1 to fix, 1 warning(s), 1 ok: something must be fixed (exit 1)');
    expect(exitCodeOf(findings.slice(0, 2))).toBe(0);
  });

  test('given a line, when coloured, then only the label is wrapped in colour codes', () => {
    expect(colourise('FIX  x  y', 'fix')).toBe('\x1b[31mFIX\x1b[0m  x  y');
  });
});

describe('secret scrubber', () => {
  test('given secrets in the environment, when a line quotes them, then they are replaced', () => {
    const scrub = createSecretScrubber({
      ADMIN_API_KEY: 'admin-key-value-123',
      DATABASE_URL: 'postgresql://postgres:S3cret%2FPass@db.example.net/evara',
      REDIS_URL: 'redis://default:redisPassw0rd@redis:6379',
      THINGSPEAK_BASE_URL: 'https://api.example.com/?api_key=READKEY42',
      PORT: '3000',
    });

    const line = scrub('admin-key-value-123 S3cret/Pass S3cret%2FPass redisPassw0rd READKEY42 on port 3000');
    expect(line).toBe('**** **** **** **** **** on port 3000');
  });

  test('given a secret shorter than four characters, when a line is scrubbed, then ordinary words survive', () => {
    const scrub = createSecretScrubber({ DATABASE_URL: 'postgresql://postgres:x@db.abc.supabase.co:5432/postgres' });
    expect(scrub('the pooler at aws-0-<region>.pooler.supabase.com:5432')).toBe('the pooler at aws-0-<region>.pooler.supabase.com:5432');
  });
});
