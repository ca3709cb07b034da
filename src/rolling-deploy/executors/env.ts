/**
 * Passing variables to a deploy script as data. The script is the user's own text; every value we add
 * (version, target ID, ...) reaches it as an environment variable, never spliced into the script.
 * Where there is no environment to pass (SSH without AcceptEnv, SSM documents) the values travel as an
 * `export NAME='value'` preamble whose quoting leaves no character to the shell's interpretation.
 */
import { ConfigurationError } from '../../shared/errors.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Refuses names a shell cannot export and values it cannot hold (NUL). */
export function validateEnv(env: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME.test(name)) {
      throw new ConfigurationError(
        'deploy environment',
        'variable names like ROLLWAY_VERSION ([A-Za-z_][A-Za-z0-9_]*)',
        name,
      );
    }
    if (typeof value !== 'string') {
      throw new ConfigurationError(`deploy environment ${name}`, 'a string value', String(value));
    }
    if (value.includes('\0')) {
      throw new ConfigurationError(`deploy environment ${name}`, 'a value without NUL characters');
    }
  }
}

/**
 * POSIX single-quoting: everything between single quotes is literal, and a single quote itself is
 * written as `'\''` (close, escaped quote, reopen). Safe for any string without NUL, newlines included.
 */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `export NAME='value'` lines (each ending in a newline) for every variable, validated first. */
export function exportPreamble(env: Readonly<Record<string, string>>): string {
  validateEnv(env);
  return Object.entries(env)
    .map(([name, value]) => `export ${name}=${shellQuote(value)}\n`)
    .join('');
}

/** What the deploy script is told about one run on one target. */
export interface DeployEnvInput {
  /** The version to put on the target. */
  readonly version: string;
  /**
   * Forward: the version the target runs now (its record), empty when none is recorded.
   * Rollback: the version being rolled back from (the one this run tried to deploy).
   */
  readonly previousVersion?: string;
  readonly target: { readonly id: string; readonly host: string; readonly port: number };
  readonly rollback: boolean;
  /** Extra variables; the ROLLWAY_* ones always win. */
  readonly extra?: Readonly<Record<string, string>>;
}

/**
 * The deploy script's variables (documented in actions/rolling-deploy/README.md). Pure: the one place
 * they are built, for the forward deploy, the pre-pull and the rollback alike.
 */
export function deployEnv(i: DeployEnvInput): Record<string, string> {
  return {
    ...i.extra,
    ROLLWAY_VERSION: i.version,
    ROLLWAY_PREVIOUS_VERSION: i.previousVersion ?? '',
    ROLLWAY_TARGET_ID: i.target.id,
    ROLLWAY_TARGET_HOST: i.target.host,
    ROLLWAY_TARGET_PORT: String(i.target.port),
    ROLLWAY_ROLLBACK: String(i.rollback),
  };
}
