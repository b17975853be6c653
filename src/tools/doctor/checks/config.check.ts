import { ConfigError, loadConfig, type Config } from '../../../shared/config';
import { mustFix, ok, warn, type Finding } from '../finding';

const CHECK = 'config';

export interface ConfigCheckResult {
  findings: Finding[];
  /** Present only when the configuration is valid. */
  config?: Config;
  /** Variables that already have a `fix` here, so later checks do not report them twice. */
  reportedVariables: Set<string>;
}

/** Variable name of a ConfigError problem ("ADMIN_API_KEY: must be ..."). */
function variableOf(problem: string): string | undefined {
  return /^([A-Z0-9_]+):/.exec(problem)?.[1];
}

/**
 * Validates the environment exactly as the API and workers will at start. Loaded with role 'tool'
 * (which does not demand ADMIN_API_KEY) because the secrets check judges that key itself.
 */
export function checkConfig(env: Record<string, string | undefined>): ConfigCheckResult {
  try {
    const config = loadConfig(env, 'tool');
    // Database URL advice is reported, with more detail, by the database-url and database-tls checks.
    const warnings = config.warnings.filter((w) => !config.db.warnings.includes(w));
    return {
      findings: [ok(CHECK, `valid for NODE_ENV=${config.env}`), ...warnings.map((w) => warn(CHECK, w))],
      config,
      reportedVariables: new Set(),
    };
  } catch (err) {
    if (!(err instanceof ConfigError)) {
      return { findings: [mustFix(CHECK, `could not be read: ${(err as Error).message}`, 'see .env.example')], reportedVariables: new Set() };
    }
    const findings = err.problems.map((problem) => {
      const variable = variableOf(problem);
      return mustFix(CHECK, problem, variable ? `set ${variable} correctly (every variable is documented in .env.example)` : 'see .env.example');
    });
    const reportedVariables = new Set(err.problems.map(variableOf).filter((v): v is string => v !== undefined));
    return { findings, reportedVariables };
  }
}
