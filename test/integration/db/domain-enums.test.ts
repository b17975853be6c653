import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Client } from 'pg';
import { ALERT_KINDS, ALERT_OPERATORS, ALERT_SEVERITIES, ALERT_STATUSES } from '../../../src/shared/alerts/alert-enums';
import { ROLES } from '../../../src/shared/auth/scope';
import { ANALYTICS_TYPES, NODE_CATEGORIES, NODE_STATUSES } from '../../../src/shared/nodes/node-enums';
import { NOTIFICATION_STATUSES } from '../../../src/shared/notifications/notification-status';
import { ROLLUP_BUCKETS } from '../../../src/shared/rollups/rollup-metrics';
import { itDatabaseUrl } from '../../setup/test-env';

/**
 * Domain enums live in domain modules; migrations are frozen and keep their own literal arrays.
 * This test reads every CHECK constraint of the migrated database and fails when one that lists
 * allowed values (`col IN (...)`) differs from the domain enum it is mapped to below, or when such
 * a constraint has no mapping at all.
 */


interface Mapping {
  table: string;
  column: string;
  /** Name of the domain enum, for the failure message. */
  enumName: string;
  values: readonly string[];
}

/** Every enum-like CHECK constraint, by name, and the domain enum it must equal. */
const MAPPED: Record<string, Mapping> = {
  nodes_category_check: { table: 'nodes', column: 'category', enumName: 'NODE_CATEGORIES (src/shared/nodes/node-enums.ts)', values: NODE_CATEGORIES },
  nodes_analytics_type_check: { table: 'nodes', column: 'analytics_type', enumName: 'ANALYTICS_TYPES (src/shared/nodes/node-enums.ts)', values: ANALYTICS_TYPES },
  nodes_status_check: { table: 'nodes', column: 'status', enumName: 'NODE_STATUSES (src/shared/nodes/node-enums.ts)', values: NODE_STATUSES },
  api_keys_role_check: { table: 'api_keys', column: 'role', enumName: 'ROLES (src/shared/auth/scope.ts)', values: ROLES },
  users_role_check: { table: 'users', column: 'role', enumName: 'ROLES (src/shared/auth/scope.ts)', values: ROLES },
  alert_rules_operator_check: { table: 'alert_rules', column: 'operator', enumName: 'ALERT_OPERATORS (src/shared/alerts/alert-enums.ts)', values: ALERT_OPERATORS },
  alert_rules_severity_check: { table: 'alert_rules', column: 'severity', enumName: 'ALERT_SEVERITIES (src/shared/alerts/alert-enums.ts)', values: ALERT_SEVERITIES },
  alerts_kind_check: { table: 'alerts', column: 'kind', enumName: 'ALERT_KINDS (src/shared/alerts/alert-enums.ts)', values: ALERT_KINDS },
  alerts_severity_check: { table: 'alerts', column: 'severity', enumName: 'ALERT_SEVERITIES (src/shared/alerts/alert-enums.ts)', values: ALERT_SEVERITIES },
  alerts_status_check: { table: 'alerts', column: 'status', enumName: 'ALERT_STATUSES (src/shared/alerts/alert-enums.ts)', values: ALERT_STATUSES },
  notifications_status_check: {
    table: 'notifications',
    column: 'status',
    enumName: 'NOTIFICATION_STATUSES (src/shared/notifications/notification-status.ts)',
    values: NOTIFICATION_STATUSES,
  },
  reading_rollups_bucket_check: { table: 'reading_rollups', column: 'bucket', enumName: 'ROLLUP_BUCKETS (src/shared/rollups/rollup-metrics.ts)', values: ROLLUP_BUCKETS },
};

interface CheckConstraint {
  name: string;
  table: string;
  def: string;
}

/** A list of allowed values, however Postgres prints it: `col = ANY (ARRAY[...])`, or `col = '...'` for a list of one. */
const LIST = /^CHECK \(\((\w+) = ANY \(ARRAY\[(.*)\]\)\)\)$/;
const SINGLE = /^CHECK \(\((\w+) = ('(?:[^']|'')*'::[\w ]+)\)\)$/;
/** A value list, or an array of literals anywhere in the expression (e.g. `NOT IN`, or `IN` inside an AND). */
const isEnumLike = (def: string) => parseValueList(def) !== undefined || /(?:ANY|ALL) \(ARRAY\[/.test(def);

function parseValueList(def: string): { column: string; values: string[] } | undefined {
  const m = LIST.exec(def) ?? SINGLE.exec(def);
  if (!m) return undefined;
  const values = [...m[2]!.matchAll(/'((?:[^']|'')*)'::[\w ]+/g)].map((v) => v[1]!.replace(/''/g, "'"));
  return { column: m[1]!, values };
}

const show = (values: Iterable<string>) => [...values].map((v) => `'${v}'`).join(', ');

describe('domain enums and the CHECK constraints of the migrated database', () => {
  let checks: CheckConstraint[] = [];

  beforeAll(async () => {
    const client = new Client({ connectionString: itDatabaseUrl() });
    await client.connect();
    try {
      const { rows } = await client.query<CheckConstraint>(`
        SELECT c.conname AS name, t.relname AS table, pg_get_constraintdef(c.oid) AS def
        FROM pg_constraint c
        JOIN pg_class t ON t.oid = c.conrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE c.contype = 'c' AND n.nspname = 'public'
        ORDER BY c.conname`);
      checks = rows;
    } finally {
      await client.end();
    }
  });

  test('the schema has CHECK constraints to compare (the migrated database was read)', () => {
    expect(checks.length).toBeGreaterThan(0);
  });

  test('every enum-like CHECK constraint has a mapping to a domain enum in this test', () => {
    const unmapped = checks
      .filter((c) => isEnumLike(c.def) && !(c.name in MAPPED))
      .map((c) => `${c.name} on ${c.table}: ${c.def} — add it to MAPPED in test/integration/db/domain-enums.test.ts with the domain enum it must equal`);
    expect(unmapped).toEqual([]);
  });

  test('every mapping in this test names a CHECK constraint that exists', () => {
    const names = new Set(checks.map((c) => c.name));
    const stale = Object.keys(MAPPED)
      .filter((name) => !names.has(name))
      .map((name) => `${name} is in MAPPED but the database has no such CHECK constraint: remove or rename the mapping`);
    expect(stale).toEqual([]);
  });

  test.each(Object.entries(MAPPED))('%s allows exactly the values of its domain enum', (name, mapping) => {
    const check = checks.find((c) => c.name === name);
    if (!check) return; // reported by the test above
    const parsed = parseValueList(check.def);
    const problems: string[] = [];
    if (!parsed) {
      problems.push(`${name} is not a plain value list (col IN (...)): ${check.def}`);
    } else {
      if (check.table !== mapping.table || parsed.column !== mapping.column) {
        problems.push(`${name} constrains ${check.table}.${parsed.column}, but the mapping says ${mapping.table}.${mapping.column}`);
      }
      const inDb = new Set(parsed.values);
      const inDomain = new Set(mapping.values);
      const onlyDomain = [...inDomain].filter((v) => !inDb.has(v));
      const onlyDb = [...inDb].filter((v) => !inDomain.has(v));
      if (onlyDomain.length > 0 || onlyDb.length > 0) {
        problems.push(
          `${mapping.enumName} drifted from CHECK ${name} on ${check.table}.${parsed.column}: ` +
            (onlyDomain.length > 0 ? `the domain has ${show(onlyDomain)} which the database rejects; ` : '') +
            (onlyDb.length > 0 ? `the database allows ${show(onlyDb)} which the domain lacks; ` : '') +
            `database: [${show(parsed.values)}], domain: [${show(mapping.values)}]. ` +
            'Migrations are frozen: fix the domain enum, or add a new migration that changes the constraint.',
        );
      }
      if (mapping.values.length !== inDomain.size) problems.push(`${mapping.enumName} lists a value twice: [${show(mapping.values)}]`);
    }
    expect(problems).toEqual([]);
  });
});

describe('migrations are frozen: nothing in src outside src/shared/db imports them', () => {
  const root = join(__dirname, '../../..');

  function tsFiles(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return tsFiles(path);
      return e.name.endsWith('.ts') ? [path] : [];
    });
  }

  test('no module outside src/shared/db imports a migration file', () => {
    const offenders = tsFiles(join(root, 'src'))
      .map((f) => relative(root, f))
      .filter((f) => !f.startsWith(join('src', 'shared', 'db') + '/'))
      .filter((f) => /from '[^']*\/migrations\/[^']*'/.test(readFileSync(join(root, f), 'utf8')))
      .map((f) => `${f} imports a migration: import the enum from its domain module (nodes/node-enums, alerts/alert-enums, notifications/notification-status)`);
    expect(offenders).toEqual([]);
  });
});
