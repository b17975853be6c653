import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const SRC = path.join(__dirname, '..', '..', 'src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? tsFiles(full) : full.endsWith('.ts') ? [full] : [];
  });
}

function area(file: string): string {
  return path.relative(SRC, file).split(path.sep)[0]!;
}

/** Import boundaries: api and workers never import each other; shared imports neither; tools (the doctor) import shared only. */
const FORBIDDEN: Record<string, string[]> = { api: ['workers', 'simulator', 'tools'], workers: ['api', 'simulator', 'tools'], shared: ['api', 'workers', 'simulator', 'tools'], simulator: ['api', 'workers', 'tools'], tools: ['api', 'workers', 'simulator'] };

describe('architecture', () => {
  const files = tsFiles(SRC);

  test('when a file imports another area, then it is allowed by the boundaries', () => {
    const violations: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/from\s+'(\.[^']+)'/g)) {
        const target = path.resolve(path.dirname(file), m[1]!);
        if (FORBIDDEN[area(file)]?.includes(area(target))) violations.push(`${path.relative(SRC, file)} -> ${m[1]}`);
      }
    }
    expect(violations).toEqual([]);
  });

  test('when src reads the environment, then it is only in config.ts (and the simulator CLI)', () => {
    const readers = files.filter((f) => /process\.env\b/.test(readFileSync(f, 'utf8'))).map((f) => path.relative(SRC, f));
    expect(readers.filter((f) => !['shared/config.ts', 'simulator/main.ts', 'shared/db/migrate.ts', 'api/main.ts', 'workers/main.ts', 'tools/doctor/main.ts'].includes(f))).toEqual([]);
  });

  test('when shared code is written, then it never imports express', () => {
    const offenders = files.filter((f) => area(f) === 'shared' && /from 'express'/.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });

  test('when src logs, then it uses pino, never console', () => {
    expect(files.filter((f) => /\bconsole\.(log|error|warn|info)\(/.test(readFileSync(f, 'utf8'))).map((f) => path.relative(SRC, f))).toEqual([]);
  });
});
