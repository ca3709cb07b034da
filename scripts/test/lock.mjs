/**
 * Machine-wide locks for the test set-up (apt-get, the Docker set-up), through scripts/test/with-lock.sh.
 *
 * The lock is held by a `flock -o` process for exactly as long as the command runs: the command itself
 * does not get the lock's file descriptor, so daemons it starts in the background (dockerd, containerd,
 * the registry, a service a package's postinst starts) do not keep holding the lock after it exits.
 */
import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WITH_LOCK = fileURLToPath(new URL('./with-lock.sh', import.meta.url));

/** with-lock.sh's exit code when the lock was not free within $ROLLWAY_LOCK_WAIT seconds. */
export const LOCK_TIMEOUT_EXIT = 75;

/** The lock file with-lock.sh uses for `name` (same rules: $ROLLWAY_LOCK_DIR, /run/lock, else $TMPDIR). */
export function lockFile(name, env = process.env) {
  let dir = env.ROLLWAY_LOCK_DIR || '/run/lock';
  if (!writableDir(dir)) dir = env.TMPDIR || tmpdir();
  return join(dir, `rollway-${name}.lock`);
}

/** `[ -d dir ] && [ -w dir ]`, as with-lock.sh tests it. */
function writableDir(dir) {
  try {
    if (!statSync(dir).isDirectory()) return false;
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `argv` under the lock `name`. Output goes to `logFile` (appended) or is ignored: never to a pipe,
 * since a daemon the command leaves running would keep a pipe open. Resolves with the exit code (or the
 * signal) when the command has exited; the lock is free again by then.
 *
 * @param {string} name
 * @param {string[]} argv
 * @param {{ logFile?: string, env?: NodeJS.ProcessEnv, cwd?: string }} [options]
 * @returns {Promise<{ code: number | null, signal: NodeJS.Signals | null }>}
 */
export function runLocked(name, argv, options = {}) {
  const fd = options.logFile ? openSync(options.logFile, 'a') : 'ignore';
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [WITH_LOCK, name, ...argv], {
      stdio: ['ignore', fd, fd],
      env: options.env ?? process.env,
      cwd: options.cwd,
    });
    if (typeof fd === 'number') closeSync(fd);
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}
